/**
 * Scaling ReplicaSets for a Deployment (upstream's scale / scaleReplicaSet /
 * isScalingEvent). A change of spec.replicas while several ReplicaSets are active (a
 * rollout in flight, or paused half-way) is spread over them in proportion to their
 * size, using the desired-replicas / max-replicas annotations each ReplicaSet carries
 * from the last time it was sized; every write refreshes those annotations.
 */
import { replicasAnnotationsNeedUpdate, intAnnotation, setReplicasAnnotations } from './revision.js';
import type { DefaultedDeployment, ReplicaSet, SyncCtx } from './types.js';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION } from './types.js';
import { byCreation, bySizeNewer, bySizeOlder, filterActive, isRollingUpdate, maxSurge, roundHalfAway, specReplicas, sumSpecReplicas } from './util.js';

export type ScalingOperation = 'up' | 'down' | '';

/** One planned write: set rs to `to` replicas (and refresh its replicas annotations). */
export interface ScaleStep {
  rs: ReplicaSet;
  to: number;
  op: ScalingOperation;
}

const opFor = (rs: ReplicaSet, to: number): ScalingOperation => (specReplicas(rs) < to ? 'up' : 'down');

/** FindActiveOrLatest: the only active ReplicaSet, or the newest one if none is active. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** IsSaturated: the new ReplicaSet runs the full, available desired count it was sized for. */
export function isSaturated(d: DefaultedDeployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
  if (desired === undefined) return false;
  const want = d.spec.replicas;
  return specReplicas(rs) === want && desired === want && (rs.status?.availableReplicas ?? 0) === want;
}

/**
 * getReplicaSetFraction: how many replicas rs gains (or loses) when the Deployment's
 * ceiling (replicas + maxSurge) moves from the max-replicas it was sized under to the
 * current one: round(size * newMax / oldMax) - size. Scaling to 0 takes everything.
 */
export function replicaSetFraction(rs: ReplicaSet, d: DefaultedDeployment): number {
  if (d.spec.replicas === 0) return -specReplicas(rs);
  const newMax = d.spec.replicas + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status.replicas ?? 0;
  // Upstream divides by zero here and gets an undefined size; nothing sensible to add.
  if (annotated === 0) return 0;
  return roundHalfAway((specReplicas(rs) * newMax) / annotated) - specReplicas(rs);
}

/** GetReplicaSetProportion: the fraction, capped by what is left to add (or remove). */
export function replicaSetProportion(rs: ReplicaSet, d: DefaultedDeployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * The writes `scale` makes. Example: replicas 10 -> 15 with maxSurge 3 mid-rollout, old
 * RS at 8 and new RS at 5 (both annotated max-replicas 13): the ceiling becomes 18, so 5
 * replicas are to add; largest first, old gets round(8*18/13)-8 = 3, new gets
 * min(round(5*18/13)-5, 5-3) = 2, and any rounding leftover goes to the largest: 11 and 7.
 */
export function planScale(d: DefaultedDeployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ScaleStep[] {
  const want = d.spec.replicas;
  const only = findActiveOrLatest(newRS, oldRSs);
  if (only) return specReplicas(only) === want ? [] : [{ rs: only, to: want, op: opFor(only, want) }];
  // A saturated new ReplicaSet (e.g. just adopted): the old ones go to zero.
  if (isSaturated(d, newRS)) return filterActive(oldRSs).map((rs) => ({ rs, to: 0, op: 'down' as const }));
  if (!isRollingUpdate(d)) return [];

  const all = filterActive([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(all);
  let op: ScalingOperation = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    op = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const p = replicaSetProportion(rs, d, toAdd, added);
    added += p;
    return specReplicas(rs) + p;
  });
  if (all.length && toAdd !== 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
  return all.map((rs, i) => ({ rs, to: sizes[i], op }));
}

function replaceRS(ctx: SyncCtx, rs: ReplicaSet): void {
  const i = ctx.rsList.findIndex((x) => x.metadata.uid === rs.metadata.uid);
  if (i >= 0) ctx.rsList[i] = rs;
}

/**
 * scaleReplicaSet: writes the size and the replicas annotations when either is stale
 * (a PUT from our copy, so a stale copy conflicts instead of clobbering), and records a
 * ScalingReplicaSet event when the size changed.
 */
export async function scaleReplicaSet(ctx: SyncCtx, rs: ReplicaSet, to: number, op: ScalingOperation): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const { d, deps } = ctx;
  const from = specReplicas(rs);
  const sizeChanges = from !== to;
  const max = d.spec.replicas + maxSurge(d);
  if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, d.spec.replicas, max)) return { scaled: false, rs };
  const copy = structuredClone(rs);
  copy.spec.replicas = to;
  setReplicasAnnotations(copy, d.spec.replicas, max);
  const updated: ReplicaSet = await deps.replicasets.update({ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...copy });
  replaceRS(ctx, updated);
  if (sizeChanges) deps.recorder.event(deploymentRef(d), 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} to ${to} from ${from}`);
  return { scaled: sizeChanges, rs: updated };
}

/** scaleReplicaSetAndRecordEvent: scaleReplicaSet, but only when the size differs. */
export function scaleReplicaSetAndRecordEvent(ctx: SyncCtx, rs: ReplicaSet, to: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (specReplicas(rs) === to) return Promise.resolve({ scaled: false, rs });
  return scaleReplicaSet(ctx, rs, to, opFor(rs, to));
}

/** scale: carries out planScale, stopping at the first failure (the key is retried). */
export async function scale(ctx: SyncCtx, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  for (const step of planScale(ctx.d, newRS, oldRSs)) await scaleReplicaSet(ctx, step.rs, step.to, step.op);
}

/** isScalingEvent: an active ReplicaSet was sized for a different spec.replicas. */
export function isScalingEvent(d: DefaultedDeployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
  return filterActive([...oldRSs, newRS]).some((rs) => {
    const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
    return desired !== undefined && desired !== d.spec.replicas;
  });
}

export function deploymentRef(d: DefaultedDeployment): { apiVersion: string; kind: string; metadata: DefaultedDeployment['metadata'] } {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata };
}
