/**
 * The disruption controller's arithmetic (upstream pkg/controller/disruption), pure so
 * it can be tested without a cluster:
 * - expected pods and desired healthy: an integer minAvailable is taken as is and the
 *   expected count is the number of selected pods; a percent minAvailable, and any
 *   maxUnavailable, are resolved against the summed scale of the pods' controllers
 *   (a Deployment's replicas for pods of its ReplicaSets, else the ReplicaSet's or
 *   StatefulSet's, else the owner's scale subresource), rounding up. Worked example: maxUnavailable "30%" over a Deployment
 *   of 5 replicas → ceil(1.5) = 2 unavailable allowed → desiredHealthy = 5 - 2 = 3;
 * - current healthy: Ready pods not being deleted and not recorded in disruptedPods by
 *   an eviction within the last two minutes;
 * - disruptionsAllowed = currentHealthy - desiredHealthy, never below 0, and 0 while no
 *   pods are expected (a budget that matches nothing yet must not allow disruptions).
 */
import { controllerRef, isPodReady } from '../common/pods.js';

/** How long an eviction's disruptedPods entry stands before the pod must be gone (upstream's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/** A controller that owns pods and its desired replica count. */
export interface ControllerScale {
  uid: string;
  scale: number;
}

/** Finds the scale behind a pod's controller reference, undefined when this finder does not know it; throws when the controller cannot have one. */
export type ScaleFinder = (ref: any, namespace: string) => ControllerScale | undefined | Promise<ControllerScale | undefined>;

export interface ExpectedCount {
  expectedCount: number;
  desiredHealthy: number;
  unmanagedPods: string[];
}

/** intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true). */
export function scaledValue(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}": strconv.Atoi: parsing "${v.replace(/%$/, '')}": invalid syntax`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** getExpectedScale: the sum of the scales of the controllers of the pods (each controller once). */
export async function expectedScale(pods: readonly any[], finders: readonly ScaleFinder[]): Promise<{ expectedCount: number; unmanagedPods: string[] }> {
  const scales = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) {
      unmanagedPods.push(pod.metadata.name);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    let found: ControllerScale | undefined;
    for (const f of finders) if ((found = await f(ref, pod.metadata.namespace))) break;
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
    scales.set(found.uid, found.scale);
  }
  let expectedCount = 0;
  for (const s of scales.values()) expectedCount += s;
  return { expectedCount, unmanagedPods };
}

/** getExpectedPodCount. */
export async function expectedPodCount(pdb: any, pods: readonly any[], finders: readonly ScaleFinder[]): Promise<ExpectedCount> {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expectedCount, unmanagedPods } = await expectedScale(pods, finders);
    const desiredHealthy = Math.max(0, expectedCount - scaledValue(maxUnavailable, expectedCount));
    return { expectedCount, desiredHealthy, unmanagedPods };
  }
  if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanagedPods: [] };
  if (typeof minAvailable === 'string') {
    const { expectedCount, unmanagedPods } = await expectedScale(pods, finders);
    return { expectedCount, desiredHealthy: scaledValue(minAvailable, expectedCount), unmanagedPods };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/**
 * buildDisruptedPodMap: keeps the entries of pods still present, not yet terminating and
 * within the timeout; recheckAt is when the earliest kept entry expires. Expired entries
 * are dropped (their pods are reported as not deleted).
 */
export function disruptedPodMap(pdb: any, pods: readonly any[], now: number): { disruptedPods: Record<string, string>; recheckAt?: number; notDeleted: any[] } {
  const prev: Record<string, string> = pdb.status?.disruptedPods ?? {};
  const disruptedPods: Record<string, string> = {};
  const notDeleted: any[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const t = prev[pod.metadata.name];
    if (t === undefined) continue;
    const expected = Date.parse(t) + DELETION_TIMEOUT_MS;
    if (expected < now) notDeleted.push(pod);
    else {
      if (recheckAt === undefined || expected < recheckAt) recheckAt = expected;
      disruptedPods[pod.metadata.name] = t;
    }
  }
  return { disruptedPods, recheckAt, notDeleted };
}

/** countHealthyPods. */
export function countHealthyPods(pods: readonly any[], disruptedPods: Record<string, string>, now: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const t = disruptedPods[pod.metadata.name];
    if (t !== undefined && Date.parse(t) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** apimeta.SetStatusCondition: lastTransitionTime moves only when status changes. */
export function setCondition(conditions: readonly any[] | undefined, c: { type: string; status: string; reason: string; message: string; observedGeneration: number }, now: number): any[] {
  const out = [...(conditions ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? out[i] : undefined;
  const next: any = { type: c.type, status: c.status, ...(c.observedGeneration ? { observedGeneration: c.observedGeneration } : {}), lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : rfc3339(now), reason: c.reason, message: c.message };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/** UpdateDisruptionAllowedCondition: SufficientPods while disruptions are allowed, InsufficientPods otherwise. */
export function disruptionAllowedCondition(status: any, now: number): any[] {
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  return setCondition(status.conditions, { type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', reason: allowed ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration: status.observedGeneration ?? 0 }, now);
}

/** ConditionsAreUpToDate. */
export function conditionsUpToDate(pdb: any): boolean {
  const st = pdb.status ?? {};
  const c = (st.conditions ?? []).find((x: any) => x.type === 'DisruptionAllowed');
  if (!c || (st.observedGeneration ?? 0) !== (pdb.metadata.generation ?? 0)) return false;
  return (st.disruptionsAllowed ?? 0) > 0 ? c.status === 'True' && c.reason === 'SufficientPods' : c.status === 'False' && c.reason === 'InsufficientPods';
}

export interface Computed {
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  disruptedPods: Record<string, string>;
}

/** updatePdbStatus: the new status, or undefined when the stored one is already right. */
export function nextStatus(pdb: any, c: Computed, now: number): any | undefined {
  let disruptionsAllowed = c.currentHealthy - c.desiredHealthy;
  if (c.expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const st = pdb.status ?? {};
  const generation = pdb.metadata.generation ?? 0;
  if (
    st.currentHealthy === c.currentHealthy &&
    st.desiredHealthy === c.desiredHealthy &&
    st.expectedPods === c.expectedPods &&
    st.disruptionsAllowed === disruptionsAllowed &&
    JSON.stringify(st.disruptedPods ?? {}) === JSON.stringify(c.disruptedPods) &&
    (st.observedGeneration ?? 0) === generation &&
    conditionsUpToDate(pdb)
  )
    return undefined;
  const next: any = {
    observedGeneration: generation,
    ...(Object.keys(c.disruptedPods).length ? { disruptedPods: c.disruptedPods } : {}),
    disruptionsAllowed,
    currentHealthy: c.currentHealthy,
    desiredHealthy: c.desiredHealthy,
    expectedPods: c.expectedPods,
    conditions: st.conditions,
  };
  next.conditions = disruptionAllowedCondition(next, now);
  return next;
}

/** failSafe: no disruptions allowed, DisruptionAllowed=False with reason SyncFailed and the error. */
export function failSafeStatus(pdb: any, err: unknown, now: number): any {
  const st = { ...(pdb.status ?? {}) };
  st.disruptionsAllowed = 0;
  st.conditions = setCondition(st.conditions, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: err instanceof Error ? err.message : String(err), observedGeneration: st.observedGeneration ?? 0 }, now);
  return st;
}
