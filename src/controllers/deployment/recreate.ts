/**
 * The Recreate strategy (upstream's recreate.go): scale every old ReplicaSet to zero,
 * wait until none of their pods is left running (terminal pods do not count), and only
 * then create or scale up the new ReplicaSet — so old and new pods never run together.
 * A pod deletion wakes the Deployment (see controller.ts) when the last one is gone.
 */
import { cleanupDeployment } from './history.js';
import { getAllReplicaSetsAndSyncRevision } from './new-replicaset.js';
import { deploymentComplete, syncRolloutStatus } from './progress.js';
import { scaleReplicaSetAndRecordEvent } from './scale.js';
import type { ReplicaSet, SyncCtx } from './types.js';
import { filterActive, sumStatusReplicas } from './util.js';

/** Pods of the Deployment grouped by the uid of their controlling ReplicaSet. */
export type PodMap = Map<string, any[]>;

/** oldPodsRunning: an old ReplicaSet still reports pods, or a non-terminal old pod exists. */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podMap: PodMap): boolean {
  if (sumStatusReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata.uid === uid) continue;
    // Failed and Succeeded pods are done; anything else (Unknown included) may still run.
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}

export async function rolloutRecreate(ctx: SyncCtx, podMap: PodMap): Promise<void> {
  // Do not create the new ReplicaSet yet: scaling up before the old pods are gone is what Recreate avoids.
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  let allRSs: (ReplicaSet | undefined)[] = [...oldRSs, newRS];

  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) {
    if ((await scaleReplicaSetAndRecordEvent(ctx, rs, 0)).scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(ctx, allRSs, newRS);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(ctx, allRSs, newRS);

  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, true));
    allRSs = [...oldRSs, newRS];
  }
  await scaleReplicaSetAndRecordEvent(ctx, newRS!, ctx.d.spec.replicas);
  if (deploymentComplete(ctx.d, ctx.d.status)) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, allRSs, newRS);
}
