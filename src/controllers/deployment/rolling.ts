/**
 * The RollingUpdate strategy (upstream's rolling.go): grow the new ReplicaSet as far as
 * maxSurge allows, shrink old ones as far as maxUnavailable allows — unhealthy old
 * replicas first, since removing them costs no availability — and repeat on every sync
 * until the new ReplicaSet holds every replica. The planning is pure (tested with
 * numbers); rolloutRolling carries it out.
 */
import { cleanupDeployment } from './history.js';
import { getAllReplicaSetsAndSyncRevision } from './new-replicaset.js';
import { deploymentComplete, syncRolloutStatus } from './progress.js';
import { scaleReplicaSetAndRecordEvent } from './scale.js';
import type { DefaultedDeployment, ReplicaSet, SyncCtx } from './types.js';
import { byCreation, filterActive, maxUnavailable, newRSNewReplicas, specReplicas, sumAvailableReplicas, sumSpecReplicas } from './util.js';

/** reconcileNewReplicaSet's target size for the new ReplicaSet, or undefined to leave it. */
export function newReplicaSetTarget(d: DefaultedDeployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number | undefined {
  const have = specReplicas(newRS);
  if (have === d.spec.replicas) return undefined;
  if (have > d.spec.replicas) return d.spec.replicas;
  const want = newRSNewReplicas(d, allRSs, newRS);
  return want === have ? undefined : want;
}

/**
 * How many old replicas may go in this step:
 *   maxScaledDown = allPods - minAvailable - newRSUnavailable
 * Counting the new ReplicaSet's not-yet-available pods keeps us from removing old pods
 * that the new ones cannot yet stand in for.
 *
 * Worked example: replicas 10, maxSurge 3, maxUnavailable 2 (so minAvailable 8), a new
 * template rolling out over an old RS of 10 available pods, one step per sync:
 *   1. new RS 0 -> 3: 10 + 3 = 13 pods, the surge ceiling.
 *   2. the 3 new pods are not available yet: maxScaledDown = 13 - 8 - 3 = 2, and
 *      10 available - 8 = 2 may go -> old RS 10 -> 8.
 *   3. 11 pods < 13 -> new RS 3 -> 5.
 *   4. while the 5 new pods are unavailable: 13 - 8 - 5 = 0, wait. Once available:
 *      13 - 8 - 0 = 5 and 13 available - 8 = 5 -> old RS 8 -> 3.
 *   5. 8 pods -> new RS 5 -> min(5 + 5, 10) = 10; once available, old RS 3 -> 0.
 */
export function maxScaledDown(d: DefaultedDeployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  const minAvailable = d.spec.replicas - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  return sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
}

export interface PlannedScale {
  rs: ReplicaSet;
  to: number;
}

/**
 * cleanupUnhealthyReplicas: oldest first, shrink each old ReplicaSet by its unavailable
 * replicas (spec.replicas - status.availableReplicas), at most maxCleanup in total. The
 * ReplicaSet controller deletes not-ready / unscheduled / pending pods first, so these
 * are the ones that go.
 */
export function planCleanupUnhealthy(oldRSs: ReplicaSet[], maxCleanup: number): PlannedScale[] {
  const steps: PlannedScale[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const have = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (have === 0 || have === available) continue;
    const n = Math.min(maxCleanup - total, have - available);
    if (n <= 0) continue;
    steps.push({ rs, to: have - n });
    total += n;
  }
  return steps;
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate: remove available old replicas while more than
 * minAvailable pods are available, oldest ReplicaSet first. E.g. replicas 10,
 * maxUnavailable 2, 11 available (old 8 + new 3): 11 - 8 = 3 old replicas may go.
 */
export function planScaleDownOld(d: DefaultedDeployment, allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): PlannedScale[] {
  const minAvailable = d.spec.replicas - maxUnavailable(d);
  const available = sumAvailableReplicas(allRSs);
  if (available <= minAvailable) return [];
  const budget = available - minAvailable;
  const steps: PlannedScale[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const have = specReplicas(rs);
    if (have === 0) continue;
    const n = Math.min(have, budget - total);
    steps.push({ rs, to: have - n });
    total += n;
  }
  return steps;
}

async function reconcileNewReplicaSet(ctx: SyncCtx, allRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const to = newReplicaSetTarget(ctx.d, allRSs, newRS);
  if (to === undefined) return false;
  return (await scaleReplicaSetAndRecordEvent(ctx, newRS, to)).scaled;
}

async function reconcileOldReplicaSets(ctx: SyncCtx, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  if (sumSpecReplicas(oldRSs) === 0) return false;
  const budget = maxScaledDown(ctx.d, allRSs, newRS);
  if (budget <= 0) return false;
  const olds = [...oldRSs];
  let scaledDown = 0;
  // Upstream swallows failures in these two steps: the next sync retries from fresh state.
  try {
    for (const step of planCleanupUnhealthy(olds, budget)) {
      const r = await scaleReplicaSetAndRecordEvent(ctx, step.rs, step.to);
      olds[olds.indexOf(step.rs)] = r.rs;
      scaledDown += specReplicas(step.rs) - step.to;
    }
    for (const step of planScaleDownOld(ctx.d, [...olds, newRS], olds)) {
      await scaleReplicaSetAndRecordEvent(ctx, step.rs, step.to);
      scaledDown += specReplicas(step.rs) - step.to;
    }
  } catch (err) {
    ctx.deps.log.debug('scaling down old replica sets failed', { deployment: ctx.d.metadata.name, err });
    return false;
  }
  return scaledDown > 0;
}

/** rolloutRolling: one step of a rolling update, then the rollout status. */
export async function rolloutRolling(ctx: SyncCtx): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, true);
  const allRSs = [...oldRSs, newRS!];
  if (await reconcileNewReplicaSet(ctx, allRSs, newRS!)) return syncRolloutStatus(ctx, allRSs, newRS);
  if (await reconcileOldReplicaSets(ctx, allRSs, filterActive(oldRSs), newRS!)) return syncRolloutStatus(ctx, allRSs, newRS);
  if (deploymentComplete(ctx.d, ctx.d.status)) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, allRSs, newRS);
}
