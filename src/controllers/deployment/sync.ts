/**
 * syncDeployment: the one reconcile entry point (upstream's syncDeployment and sync.go).
 * Claims the ReplicaSets the selector picks (adopting orphans, releasing ones that no
 * longer match), then: a Deployment being deleted only gets its status; a paused one
 * is scaled but never rolled out; a change of spec.replicas is a scaling event handled
 * proportionally; anything else goes to its strategy (RollingUpdate or Recreate).
 * Rollback needs nothing here: `kubectl rollout undo` patches the template, and the
 * ReplicaSet with that template becomes the new one with the next revision.
 */
import { TerminalError } from '../../client/errors.js';
import type { SyncResult } from '../../client/controller.js';
import { splitKey } from '../../client/cache.js';
import { claimObjects } from '../common/claim.js';
import { controllerRef } from '../common/pods.js';
import { getCondition, newCondition, setCondition } from './conditions.js';
import { cleanupDeployment } from './history.js';
import { getAllReplicaSetsAndSyncRevision } from './new-replicaset.js';
import { hasProgressDeadline } from './progress.js';
import { rolloutRecreate, type PodMap } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import { deploymentRef, isScalingEvent, scale } from './scale.js';
import { syncDeploymentStatus, updateDeploymentStatus } from './status.js';
import type { Deployment, DeploymentSyncDeps, ReplicaSet, SyncCtx } from './types.js';
import { COND_PROGRESSING, REASON_PAUSED, REASON_RESUMED, REASON_TIMED_OUT } from './types.js';
import { withDefaults } from './util.js';

/** An empty selector ({}) would select every pod in the namespace: refused, as upstream. */
export function selectsEverything(sel: Deployment['spec']['selector']): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

export async function syncDeployment(deps: DeploymentSyncDeps, key: string, cached: Deployment | undefined): Promise<SyncResult> {
  if (!cached) return; // deleted: its ReplicaSets go with it through the garbage collector
  const ctx: SyncCtx = { deps, d: withDefaults(cached), raw: cached, rsList: [] };
  const { d } = ctx;
  d.metadata.namespace ??= splitKey(key).namespace;

  if (selectsEverything(d.spec.selector)) {
    deps.recorder.event(deploymentRef(d), 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
    if ((d.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      d.status.observedGeneration = d.metadata.generation;
      await updateDeploymentStatus(ctx);
    }
    return;
  }

  ctx.rsList = await getReplicaSetsForDeployment(ctx);
  const podMap = getPodMapForDeployment(ctx);

  if (d.metadata.deletionTimestamp) {
    const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
    await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS);
    return;
  }

  await checkPausedConditions(ctx);
  if (d.spec.paused) {
    await syncScaleOnly(ctx);
    return result(ctx);
  }

  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  if (isScalingEvent(d, newRS, oldRSs)) {
    await syncScaleOnly(ctx);
    return result(ctx);
  }

  const strategy = d.spec.strategy;
  switch (strategy.type) {
    case 'Recreate':
      await rolloutRecreate(ctx, podMap);
      break;
    case 'RollingUpdate':
      await rolloutRolling(ctx);
      break;
    default:
      throw new TerminalError(`unexpected deployment strategy type: ${(strategy as { type: string }).type}`);
  }
  return result(ctx);
}

function result(ctx: SyncCtx): SyncResult {
  return ctx.requeueAfterMs !== undefined ? { requeueAfterMs: ctx.requeueAfterMs } : undefined;
}

/**
 * getReplicaSetsForDeployment: every ReplicaSet of the namespace is a candidate; ours
 * that match stay, ours that stopped matching are released, matching orphans adopted
 * (not while the Deployment is being deleted).
 */
async function getReplicaSetsForDeployment(ctx: SyncCtx): Promise<ReplicaSet[]> {
  const { d, deps } = ctx;
  const claimed = await claimObjects({
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata },
    selector: d.spec.selector ?? {},
    client: deps.replicasets,
    candidates: deps.listReplicaSets(d.metadata.namespace!),
  });
  return claimed as ReplicaSet[];
}

/** getPodMapForDeployment: the selector's pods, grouped by controlling ReplicaSet (inactive pods too). */
function getPodMapForDeployment(ctx: SyncCtx): PodMap {
  const map: PodMap = new Map(ctx.rsList.map((rs) => [rs.metadata.uid!, []]));
  for (const pod of ctx.deps.listPods(ctx.d.metadata.namespace!, ctx.d.spec.selector ?? {})) {
    const ref = controllerRef(pod);
    if (ref) map.get(ref.uid)?.push(pod);
  }
  return map;
}

/**
 * checkPausedConditions: pausing sets Progressing Unknown/DeploymentPaused, resuming
 * Unknown/DeploymentResumed (which restarts the progress clock). A timed-out rollout
 * keeps its ProgressDeadlineExceeded.
 */
async function checkPausedConditions(ctx: SyncCtx): Promise<void> {
  const { d, deps } = ctx;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, COND_PROGRESSING);
  if (cond?.reason === REASON_TIMED_OUT) return;
  const pausedCondExists = cond?.reason === REASON_PAUSED;
  if (d.spec.paused && !pausedCondExists) {
    setCondition(d.status, newCondition(COND_PROGRESSING, 'Unknown', REASON_PAUSED, 'Deployment is paused', deps.now()));
  } else if (!d.spec.paused && pausedCondExists) {
    setCondition(d.status, newCondition(COND_PROGRESSING, 'Unknown', REASON_RESUMED, 'Deployment is resumed', deps.now()));
  } else {
    return;
  }
  await updateDeploymentStatus(ctx);
}

/**
 * sync: for paused Deployments and scaling events — size the ReplicaSets (proportionally
 * if several are active), trim history when paused, and refresh the status, without
 * creating a new ReplicaSet or moving the rollout on.
 */
async function syncScaleOnly(ctx: SyncCtx): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  await scale(ctx, newRS, oldRSs);
  if (ctx.d.spec.paused) await cleanupDeployment(ctx, oldRSs);
  // Re-read: scale replaced the entries it wrote.
  const fresh = (rs: ReplicaSet | undefined) => rs && (ctx.rsList.find((x) => x.metadata.uid === rs.metadata.uid) ?? rs);
  const olds = oldRSs.map((rs) => fresh(rs)!);
  await syncDeploymentStatus(ctx, [...olds, fresh(newRS)], fresh(newRS));
}
