/**
 * Old ReplicaSets beyond spec.revisionHistoryLimit are deleted (cleanupDeployment
 * upstream), lowest revision first — but only those scaled to zero with no pods left,
 * whose spec the ReplicaSet controller has observed, and not already being deleted.
 * The ones kept are what `kubectl rollout history` lists and `rollout undo` can return to.
 */
import { isNotFound } from '../../client/rest.js';
import type { ReplicaSet, SyncCtx } from './types.js';
import { byRevision, specReplicas } from './util.js';

const MAX_INT32 = 2147483647;

/** The old ReplicaSets to delete so that at most `limit` remain. */
export function selectReplicaSetsToCleanup(oldRSs: ReplicaSet[], limit: number | undefined): ReplicaSet[] {
  if (limit === undefined || limit === null || limit === MAX_INT32) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  return [...alive]
    .sort(byRevision)
    .slice(0, diff)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && specReplicas(rs) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}

export async function cleanupDeployment(ctx: SyncCtx, oldRSs: ReplicaSet[]): Promise<void> {
  for (const rs of selectReplicaSetsToCleanup(oldRSs, ctx.d.spec.revisionHistoryLimit)) {
    try {
      await ctx.deps.replicasets.delete(rs.metadata.namespace, rs.metadata.name);
    } catch (err) {
      // Stop at the first failure, on the theory that the server may be overloaded.
      if (!isNotFound(err)) throw err;
    }
  }
}
