/**
 * Deployment status: the counts summed over its ReplicaSets (calculateStatus), the
 * Available condition, and writing through the status subresource only when something
 * changed. Zero counts are omitted on the wire, as Go's omitempty does.
 */
import { isNotFound } from '../../client/rest.js';
import { newCondition, setCondition } from './conditions.js';
import { normalize } from './revision.js';
import type { DefaultedDeployment, DeploymentStatus, ReplicaSet, SyncCtx } from './types.js';
import { COND_AVAILABLE, REASON_MIN_AVAILABLE, REASON_MIN_UNAVAILABLE, REVISION_ANNOTATION } from './types.js';
import { maxUnavailable, sumAvailableReplicas, sumReadyReplicas, sumSpecReplicas, sumStatusReplicas } from './util.js';

/**
 * calculateStatus: replicas / readyReplicas / availableReplicas over every ReplicaSet,
 * updatedReplicas from the new one, unavailableReplicas = desired pods (sum of
 * spec.replicas) - available (never negative), and Available True once
 * availableReplicas >= replicas - maxUnavailable.
 */
export function calculateStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: DefaultedDeployment, now: number): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const total = sumSpecReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= d.spec.replicas - maxUnavailable(d)) {
    setCondition(status, newCondition(COND_AVAILABLE, 'True', REASON_MIN_AVAILABLE, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(COND_AVAILABLE, 'False', REASON_MIN_UNAVAILABLE, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

const OMIT_WHEN_ZERO = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;

/** The status as it travels: zero counts and empty conditions dropped (collisionCount 0 kept). */
export function compactStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = { ...s };
  for (const k of OMIT_WHEN_ZERO) if (!out[k]) delete out[k];
  if (!out.conditions?.length) delete out.conditions;
  if (out.collisionCount === undefined || out.collisionCount === null) delete out.collisionCount;
  return out;
}

/** reflect.DeepEqual over statuses, with a missing count equal to 0. */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return JSON.stringify(normalize(compactStatus(a ?? {}))) === JSON.stringify(normalize(compactStatus(b ?? {})));
}

/**
 * UpdateStatus with ctx.d's status and annotations (upstream sends the revision
 * annotation along with the status; if this server's status strategy dropped it, it is
 * set with a metadata merge patch instead). ctx.d picks up the new resourceVersion so
 * a later write in the same sync does not conflict with our own.
 */
export async function updateDeploymentStatus(ctx: SyncCtx): Promise<void> {
  const { d, raw, deps } = ctx;
  const body = { ...raw, apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata, status: compactStatus(d.status) };
  const res = await deps.deployments.updateStatus(body);
  d.metadata.resourceVersion = res?.metadata?.resourceVersion ?? d.metadata.resourceVersion;
  const want = d.metadata.annotations?.[REVISION_ANNOTATION];
  if (want !== undefined && res?.metadata?.annotations?.[REVISION_ANNOTATION] !== want) {
    const patched = await deps.deployments.patch(d.metadata.namespace, d.metadata.name, 'merge', { metadata: { annotations: { [REVISION_ANNOTATION]: want } } });
    d.metadata.resourceVersion = patched?.metadata?.resourceVersion ?? d.metadata.resourceVersion;
  }
}

/** syncDeploymentStatus: recompute and write the status if it changed. */
export async function syncDeploymentStatus(ctx: SyncCtx, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const next = calculateStatus(allRSs, newRS, ctx.d, ctx.deps.now());
  if (statusEqual(ctx.d.status, next)) return;
  ctx.d.status = next;
  await updateDeploymentStatus(ctx);
}

export function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
