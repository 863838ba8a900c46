/**
 * Pure arithmetic and ordering shared by the deployment strategies (upstream's
 * deploymentutil and controller_utils): apps/v1 defaults, int-or-percent resolution of
 * maxSurge / maxUnavailable, replica counts summed over ReplicaSets, and the sort orders
 * (by creation time, by size, by revision) that decide which ReplicaSet moves first.
 */
import { TerminalError } from '../../client/errors.js';
import type { DefaultedDeployment, Deployment, IntOrString, ReplicaSet } from './types.js';
import { REVISION_ANNOTATION } from './types.js';

/** A maxSurge / maxUnavailable that is neither an integer nor "<int>%": retrying cannot help. */
export class InvalidIntOrPercentError extends TerminalError {
  constructor(value: unknown, why: string) {
    super(`invalid value for IntOrString: ${why} (${JSON.stringify(value)})`);
    this.name = 'InvalidIntOrPercentError';
  }
}

/** apps/v1 SetDefaults_Deployment, applied to a deep copy (the API server normally did it). */
export function withDefaults(src: Deployment): DefaultedDeployment {
  const d = structuredClone(src) as DefaultedDeployment;
  d.spec.replicas ??= 1;
  d.spec.strategy ??= { type: 'RollingUpdate' };
  if (!d.spec.strategy.type) (d.spec.strategy as { type: string }).type = 'RollingUpdate';
  if (d.spec.strategy.type === 'RollingUpdate') {
    const ru = (d.spec.strategy.rollingUpdate ??= {});
    ru.maxSurge ??= '25%';
    ru.maxUnavailable ??= '25%';
  }
  d.spec.revisionHistoryLimit ??= 10;
  d.spec.progressDeadlineSeconds ??= 600;
  d.spec.minReadySeconds ??= 0;
  d.status ??= {};
  return d;
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int is itself; "p%" is p% of total, rounded
 * up or down. Evaluated as (p * total) / 100 in floating point, like upstream.
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new InvalidIntOrPercentError(v, 'not an integer');
    return v;
  }
  if (typeof v !== 'string') throw new InvalidIntOrPercentError(v, 'invalid type');
  if (!v.endsWith('%')) throw new InvalidIntOrPercentError(v, 'invalid type: string is not a percentage');
  const digits = v.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) throw new InvalidIntOrPercentError(v, 'not an integer percentage');
  const x = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export const isRollingUpdate = (d: Deployment) => (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/**
 * ResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down, and when both come
 * out 0 maxUnavailable becomes 1 so a rollout can always move (validation forbids 0/0,
 * but rounding down can produce it).
 *
 * Worked example, replicas = 10, maxSurge = 25%, maxUnavailable = 25%:
 *   surge       = ceil(25 * 10 / 100)  = ceil(2.5)  = 3  -> at most 13 pods in total
 *   unavailable = floor(25 * 10 / 100) = floor(2.5) = 2  -> at least 8 pods available
 * With replicas = 3, maxSurge = 0, maxUnavailable = 25%:
 *   surge = 0, unavailable = floor(0.75) = 0 -> both 0, so unavailable = 1.
 */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function fenceposts(d: DefaultedDeployment): { surge: number; unavailable: number } {
  const ru = d.spec.strategy.rollingUpdate;
  try {
    return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec.replicas);
  } catch {
    // Upstream: "Error caught by validation" — an invalid value resolves to 0.
    return { surge: 0, unavailable: 0 };
  }
}

/** MaxSurge: 0 unless RollingUpdate. */
export function maxSurge(d: DefaultedDeployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** MaxUnavailable: 0 unless RollingUpdate with replicas > 0; never more than replicas. */
export function maxUnavailable(d: DefaultedDeployment): number {
  if (!isRollingUpdate(d) || d.spec.replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, d.spec.replicas);
}

/** MinAvailable: replicas - maxUnavailable for RollingUpdate, 0 for Recreate. */
export function minAvailable(d: DefaultedDeployment): number {
  return isRollingUpdate(d) ? d.spec.replicas - maxUnavailable(d) : 0;
}

export const specReplicas = (rs: ReplicaSet): number => rs.spec?.replicas ?? 1;

/** GetReplicaCountForReplicaSets: sum of spec.replicas. */
export function sumSpecReplicas(rss: (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += specReplicas(rs);
  return n;
}

/** GetActualReplicaCountForReplicaSets: sum of status.replicas. */
export function sumStatusReplicas(rss: (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rs.status?.replicas ?? 0;
  return n;
}

export function sumReadyReplicas(rss: (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rs.status?.readyReplicas ?? 0;
  return n;
}

export function sumAvailableReplicas(rss: (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rs.status?.availableReplicas ?? 0;
  return n;
}

/** FilterActiveReplicaSets: present and spec.replicas > 0. */
export function filterActive(rss: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);
}

/**
 * NewRSNewReplicas: the size the new ReplicaSet may grow to now. RollingUpdate: up to
 * replicas + maxSurge pods in total, never beyond replicas. Example: replicas 10,
 * maxSurge 3, old RS at 10 and new RS at 0 -> 13 - 10 = 3, so the new RS gets 3; once
 * the old one is down to 7 (total 10) the new one may go to min(3 + 3, 10) = 6.
 * Recreate: all of replicas at once.
 */
export function newRSNewReplicas(d: DefaultedDeployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  const strategy = d.spec.strategy;
  switch (strategy.type) {
    case 'RollingUpdate': {
      const surge = scaledValue(strategy.rollingUpdate?.maxSurge ?? 0, d.spec.replicas, true);
      const current = sumSpecReplicas(allRSs);
      const maxTotal = d.spec.replicas + surge;
      if (current >= maxTotal) return specReplicas(newRS);
      const up = Math.min(maxTotal - current, d.spec.replicas - specReplicas(newRS));
      return specReplicas(newRS) + up;
    }
    case 'Recreate':
      return d.spec.replicas;
    default:
      throw new TerminalError(`deployment type ${(strategy as { type: string }).type} isn't supported`);
  }
}

const ts = (s?: string) => (s ? Date.parse(s) : 0);

/** ReplicaSetsByCreationTimestamp: older first, then by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const d = ts(a.metadata.creationTimestamp) - ts(b.metadata.creationTimestamp);
  if (d) return d;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: larger first; equal sizes older first (scale-down order). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d || byCreation(a, b);
}

/** ReplicaSetsBySizeNewer: larger first; equal sizes newer first (scale-up order). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d || byCreation(b, a);
}

/** The revision annotation as a number; 0 when missing or not an integer (upstream's Less). */
export function revisionOf(rs: ReplicaSet): number {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  return Number(v);
}

/** ReplicaSetsByRevision: lower revision first, then older first. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** integer.RoundToInt32: halves round away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? Math.trunc(x - 0.5) : Math.trunc(x + 0.5);
}

/** An RFC 3339 timestamp with second precision, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
