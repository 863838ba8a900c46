/**
 * Rollout progress (upstream's progress.go): the Progressing condition, whose
 * lastUpdateTime moves whenever the rollout makes progress, turns into
 * NewReplicaSetAvailable when the rollout completes, or into ProgressDeadlineExceeded
 * (status False — `kubectl rollout status` then fails) once progressDeadlineSeconds pass
 * without progress. A stuck rollout is re-queued for the moment its deadline expires.
 * ReplicaFailure conditions of the ReplicaSets (the new one's first) are mirrored.
 */
import { fromReplicaSetCondition, getCondition, newCondition, removeCondition, setCondition } from './conditions.js';
import { calculateStatus, statusEqual, updateDeploymentStatus } from './status.js';
import type { DefaultedDeployment, DeploymentCondition, DeploymentStatus, ReplicaSet, SyncCtx } from './types.js';
import { COND_PROGRESSING, COND_REPLICA_FAILURE, REASON_NEW_RS_AVAILABLE, REASON_RS_UPDATED, REASON_TIMED_OUT } from './types.js';

const MAX_INT32 = 2147483647;

/** HasProgressDeadline: set and not MaxInt32 (which means "no deadline"). */
export function hasProgressDeadline(d: DefaultedDeployment): boolean {
  return d.spec.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== null && d.spec.progressDeadlineSeconds !== MAX_INT32;
}

/** DeploymentComplete: every desired pod is updated and available, and the spec was observed. */
export function deploymentComplete(d: DefaultedDeployment, s: DeploymentStatus): boolean {
  const want = d.spec.replicas;
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than last time. */
export function deploymentProgressing(d: DefaultedDeployment, s: DeploymentStatus): boolean {
  const o = d.status;
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0);
}

/** DeploymentTimedOut: no progress since the Progressing condition's lastUpdateTime + deadline. */
export function deploymentTimedOut(d: DefaultedDeployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, COND_PROGRESSING);
  if (!c) return false;
  if (c.reason === REASON_NEW_RS_AVAILABLE) return false;
  if (c.reason === REASON_TIMED_OUT) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : 0;
  return from + d.spec.progressDeadlineSeconds * 1000 < now;
}

function replicaFailures(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const of = (rs: ReplicaSet | undefined) => (rs?.status?.conditions ?? []).filter((c) => c.type === COND_REPLICA_FAILURE).map(fromReplicaSetCondition);
  const fromNew = of(newRS);
  return fromNew.length ? fromNew : allRSs.flatMap(of);
}

/** The status syncRolloutStatus would write: calculateStatus plus Progressing and ReplicaFailure. */
export function rolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: DefaultedDeployment, now: number): DeploymentStatus {
  const s = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, COND_PROGRESSING);
  const cur = getCondition(d.status, COND_PROGRESSING);
  // A single active ReplicaSet after a finished rollout: a resync, nothing to estimate.
  const isComplete = s.replicas === s.updatedReplicas && cur?.reason === REASON_NEW_RS_AVAILABLE;
  if (hasProgressDeadline(d) && !isComplete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition(COND_PROGRESSING, 'True', REASON_NEW_RS_AVAILABLE, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, s)) {
      // Progress refreshes lastUpdateTime even with an unchanged reason (a special case
      // setCondition would skip), keeping lastTransitionTime while the status stays True.
      const c = newCondition(COND_PROGRESSING, 'True', REASON_RS_UPDATED, `${subject} is progressing.`, now);
      if (cur) {
        if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, COND_PROGRESSING);
      }
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, now)) {
      setCondition(s, newCondition(COND_PROGRESSING, 'False', REASON_TIMED_OUT, `${subject} has timed out progressing.`, now));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures.length) setCondition(s, failures[0]);
  else removeCondition(s, COND_REPLICA_FAILURE);
  return s;
}

/**
 * requeueStuckDeployment: how long until a rollout without progress should be checked
 * against its deadline, or undefined when no check is due (no deadline, no Progressing
 * condition, complete, or already timed out). Example: Progressing last updated at
 * 00:00:00, deadline 600 s, now 00:03:00 -> check in 7 minutes (+1 s against clock skew).
 */
export function progressCheckDelayMs(d: DefaultedDeployment, s: DeploymentStatus, now: number): number | undefined {
  const cur = getCondition(d.status, COND_PROGRESSING);
  if (!hasProgressDeadline(d) || !cur) return undefined;
  if (deploymentComplete(d, s) || cur.reason === REASON_TIMED_OUT) return undefined;
  const last = cur.lastUpdateTime ? Date.parse(cur.lastUpdateTime) : 0;
  const after = last + d.spec.progressDeadlineSeconds * 1000 - now;
  return Math.max(after, 0) + 1000;
}

/** syncRolloutStatus: write the rollout status if it changed, else schedule the deadline check. */
export async function syncRolloutStatus(ctx: SyncCtx, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const now = ctx.deps.now();
  const next = rolloutStatus(allRSs, newRS, ctx.d, now);
  if (statusEqual(ctx.d.status, next)) {
    const delay = progressCheckDelayMs(ctx.d, next, now);
    if (delay !== undefined) ctx.requeueAfterMs = delay;
    return;
  }
  ctx.d.status = next;
  await updateDeploymentStatus(ctx);
}
