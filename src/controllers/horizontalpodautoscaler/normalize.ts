/**
 * From the metrics' proposal to the replica count the controller sets (upstream's
 * normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors), per HPA:
 *  - stabilization: without spec.behavior, the highest recommendation of the last
 *    downscale-stabilization window (5 min) wins, so scale-down waits; with behavior,
 *    scaleUp/scaleDown windows keep the lowest/highest recommendation of theirs;
 *  - rate limits: without behavior at most max(2 × current, 4) when scaling up; with
 *    behavior the policies' budgets over their periods (Pods: ±value, Percent: ×(1 ± value%))
 *    counting the scale events already made in each period, combined by selectPolicy;
 *  - bounds: minReplicas and maxReplicas.
 * Each step reports the AbleToScale / ScalingLimited condition reasons upstream uses.
 */

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  change: number;
}

export interface Outcome {
  replicas: number;
  ableToScale: { reason: string; message: string };
  scalingLimited: { status: 'True' | 'False'; reason: string; message: string };
}

const READY = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

/** The state kept per HPA between syncs (recommendations and scale events), as upstream keeps in memory. */
export class HpaMemory {
  recommendations: Recommendation[] = [];
  scaleUpEvents: ScaleEvent[] = [];
  scaleDownEvents: ScaleEvent[] = [];
}

function rules(desired: number, min: number, max: number, current: number): { replicas: number; reason: string; message: string } {
  const scaleUpLimit = Math.max(2 * current, 4);
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  const [allowed, reason, message] = max > scaleUpLimit ? [scaleUpLimit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'] : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  if (desired > allowed) return { replicas: allowed, reason, message };
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}

function limited(r: { replicas: number; reason: string; message: string }, stabilized: number): Outcome['scalingLimited'] {
  return { status: r.replicas === stabilized ? 'False' : 'True', reason: r.reason, message: r.message };
}

/** Without spec.behavior. */
export function normalize(mem: HpaMemory, o: { current: number; proposed: number; min: number; max: number; now: number; downscaleWindowMs: number }): Outcome {
  // stabilizeRecommendation: the highest recommendation in the window (current at least as a floor is not applied: upstream starts from the proposal).
  let stabilized = o.proposed;
  const cutoff = o.now - o.downscaleWindowMs;
  let replaced = false;
  for (const r of mem.recommendations) if (r.at > cutoff) stabilized = Math.max(stabilized, r.replicas);
  for (const r of mem.recommendations) {
    if (!replaced && r.at <= cutoff) {
      r.at = o.now;
      r.replicas = o.proposed;
      replaced = true;
    }
  }
  if (!replaced) mem.recommendations.push({ at: o.now, replicas: o.proposed });
  const ableToScale = stabilized !== o.proposed ? { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' } : READY;
  const r = rules(stabilized, o.min, o.max, o.current);
  return { replicas: r.replicas, ableToScale, scalingLimited: limited(r, stabilized) };
}

function changeInPeriod(events: ScaleEvent[], periodMs: number, now: number): number {
  return events.filter((e) => e.at > now - periodMs).reduce((a, e) => a + e.change, 0);
}

function scaleUpLimit(current: number, mem: HpaMemory, r: any, now: number): number {
  if (r.selectPolicy === 'Disabled') return current;
  const pick = r.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = r.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of r.policies ?? []) {
    const start = current - changeInPeriod(mem.scaleUpEvents, p.periodSeconds * 1000, now) + changeInPeriod(mem.scaleDownEvents, p.periodSeconds * 1000, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

function scaleDownLimit(current: number, mem: HpaMemory, r: any, now: number): number {
  if (r.selectPolicy === 'Disabled') return current;
  // Min picks the policy allowing the smallest change: the highest floor.
  const pick = r.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = r.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of r.policies ?? []) {
    const start = current - changeInPeriod(mem.scaleUpEvents, p.periodSeconds * 1000, now) + changeInPeriod(mem.scaleDownEvents, p.periodSeconds * 1000, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** With spec.behavior (already defaulted; scaleDown's window from the controller flag when unset). */
export function normalizeWithBehavior(mem: HpaMemory, o: { current: number; proposed: number; min: number; max: number; now: number; behavior: any; downscaleWindowMs: number }): Outcome {
  const up = o.behavior.scaleUp;
  const down = o.behavior.scaleDown;
  const upWindow = (up.stabilizationWindowSeconds ?? 0) * 1000;
  const downWindow = down.stabilizationWindowSeconds !== undefined && down.stabilizationWindowSeconds !== null ? down.stabilizationWindowSeconds * 1000 : o.downscaleWindowMs;
  let upRec = o.proposed;
  let downRec = o.proposed;
  let oldest = -1;
  mem.recommendations.forEach((r, i) => {
    if (r.at > o.now - upWindow) upRec = Math.min(upRec, r.replicas);
    if (r.at > o.now - downWindow) downRec = Math.max(downRec, r.replicas);
    if (r.at <= o.now - Math.max(upWindow, downWindow) && oldest < 0) oldest = i;
  });
  let stabilized = o.current;
  if (stabilized < upRec) stabilized = upRec;
  if (stabilized > downRec) stabilized = downRec;
  if (oldest >= 0) mem.recommendations[oldest] = { at: o.now, replicas: o.proposed };
  else mem.recommendations.push({ at: o.now, replicas: o.proposed });
  let ableToScale = READY;
  if (stabilized !== o.proposed) {
    ableToScale =
      stabilized < o.proposed
        ? { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
        : { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }
  let r = { replicas: stabilized, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  if (stabilized > o.current) {
    const limit = Math.max(scaleUpLimit(o.current, mem, up, o.now), o.current);
    const [allowed, reason, message] = o.max > limit ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'] : [o.max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    if (stabilized > allowed) r = { replicas: allowed, reason, message };
  } else if (stabilized < o.current) {
    const limit = Math.min(scaleDownLimit(o.current, mem, down, o.now), o.current);
    const [allowed, reason, message] = o.min < limit ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate'] : [o.min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    if (stabilized < allowed) r = { replicas: allowed, reason, message };
  }
  return { replicas: r.replicas, ableToScale, scalingLimited: limited(r, stabilized) };
}

/** Records a scale (with behavior only), forgetting events older than the longest policy period. */
export function recordScaleEvent(mem: HpaMemory, behavior: any, from: number, to: number, now: number): void {
  if (!behavior || from === to) return;
  const rulesOf = to > from ? behavior.scaleUp : behavior.scaleDown;
  const longest = Math.max(0, ...(rulesOf?.policies ?? []).map((p: any) => p.periodSeconds)) * 1000;
  const list = to > from ? mem.scaleUpEvents : mem.scaleDownEvents;
  const kept = list.filter((e) => e.at > now - longest);
  kept.push({ at: now, change: Math.abs(to - from) });
  if (to > from) mem.scaleUpEvents = kept;
  else mem.scaleDownEvents = kept;
}
