/**
 * The replica calculator (upstream's replica_calculator.go): from per-pod metrics and the
 * pods the target selects, how many replicas bring usage to target.
 *
 *   desired = ceil(ready pods × usage / target), unless |usage/target − 1| ≤ tolerance (0.1).
 *
 * Pods are grouped first (groupPods): deleted and Failed pods are ignored; Pending pods
 * are unready; a pod without a metric is missing; for cpu, a pod counts as unready while
 * not Ready, or (within the cpu initialization period after it started) while its sample
 * does not yet cover a full window since it became Ready. Unready and missing pods then
 * damp the decision the way upstream does: when scaling up, unready pods count as using 0
 * and missing pods 0; when scaling down, missing pods count as using their whole request
 * (or the target, if higher); if that flips the direction or lands within tolerance,
 * nothing changes.
 * Worked example: 2 ready pods at 150m and 250m of 200m requests, target 50%: utilization
 * = 400·100/400 = 100%, ratio 2.0 → ceil(2.0 × 2) = 4 replicas.
 */

export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  /** Usage in milli-units (millicores, milli-bytes), summed over the pod's containers. */
  value: number;
}

export type PodMetrics = Map<string, PodMetric>;

export interface CalculatorOptions {
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
  now: number;
}

export class CalculationError extends Error {}

interface Groups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

export function groupPods(pods: any[], metrics: PodMetrics, resource: string, o: CalculatorOptions): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name;
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const m = metrics.get(name);
    if (!m) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = (pod.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
      let unready: boolean;
      if (!cond || start === undefined) unready = true;
      else {
        const transition = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : 0;
        if (start + o.cpuInitializationPeriodMs > o.now) unready = cond.status === 'False' || m.timestampMs < transition + m.windowMs;
        else unready = cond.status === 'False' && start + o.initialReadinessDelayMs > transition;
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Per-pod requests of the resource in milli-units (all containers, or the named one). */
export function podRequests(pods: any[], resource: string, container: string | undefined, milli: (q: string) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      if (q === undefined) throw new CalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += milli(q);
    }
    out.set(pod.metadata.name, sum);
  }
  return out;
}

/** Usage over requests: (ratio to target, utilization %, average raw usage). */
export function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, target: number): { ratio: number; utilization: number; raw: number } {
  let total = 0;
  let req = 0;
  let n = 0;
  for (const [pod, m] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    total += m.value;
    req += r;
    n++;
  }
  if (!n) throw new CalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((total * 100) / req);
  return { ratio: utilization / target, utilization, raw: Math.trunc(total / n) };
}

/** GetResourceReplicas: the proposal for a Utilization target. */
export function resourceReplicas(currentReplicas: number, target: number, resource: string, pods: any[], metrics0: PodMetrics, requests: Map<string, number>, o: CalculatorOptions): { replicas: number; utilization: number; raw: number } {
  if (!pods.length) throw new CalculationError('no pods returned by selector while calculating replica count');
  const metrics = new Map(metrics0);
  const g = groupPods(pods, metrics, resource, o);
  for (const p of [...g.ignored, ...g.unready]) metrics.delete(p);
  if (!metrics.size) throw new CalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, utilization, raw } = utilizationRatio(metrics, requests, target);
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && !g.missing.size) {
    if (Math.abs(1.0 - ratio) <= o.tolerance) return { replicas: currentReplicas, utilization, raw };
    return { replicas: Math.ceil(ratio * g.readyCount), utilization, raw };
  }
  if (g.missing.size) {
    const fallback = Math.max(100, target);
    if (ratio < 1.0) for (const p of g.missing) metrics.set(p, { timestampMs: 0, windowMs: 0, value: Math.trunc(((requests.get(p) ?? 0) * fallback) / 100) });
    else if (ratio > 1.0) for (const p of g.missing) metrics.set(p, { timestampMs: 0, windowMs: 0, value: 0 });
  }
  if (scaleUpWithUnready) for (const p of g.unready) metrics.set(p, { timestampMs: 0, windowMs: 0, value: 0 });
  const next = utilizationRatio(metrics, requests, target).ratio;
  if (Math.abs(1.0 - next) <= o.tolerance || (ratio < 1.0 && next > 1.0) || (ratio > 1.0 && next < 1.0)) return { replicas: currentReplicas, utilization, raw };
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1.0 && replicas > currentReplicas) || (next > 1.0 && replicas < currentReplicas)) return { replicas: currentReplicas, utilization, raw };
  return { replicas, utilization, raw };
}

/** calcPlainMetricReplicas: the proposal for an AverageValue target (milli-units). */
export function plainReplicas(currentReplicas: number, targetMilli: number, resource: string, pods: any[], metrics0: PodMetrics, o: CalculatorOptions): { replicas: number; usage: number } {
  if (!pods.length) throw new CalculationError('no pods returned by selector while calculating replica count');
  const metrics = new Map(metrics0);
  const g = groupPods(pods, metrics, resource, o);
  for (const p of [...g.ignored, ...g.unready]) metrics.delete(p);
  if (!metrics.size) throw new CalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const avg = (m: PodMetrics) => [...m.values()].reduce((a, x) => a + x.value, 0) / m.size;
  const usage = Math.trunc(avg(metrics));
  const ratio = avg(metrics) / targetMilli;
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && !g.missing.size) {
    if (Math.abs(1.0 - ratio) <= o.tolerance) return { replicas: currentReplicas, usage };
    return { replicas: Math.ceil(ratio * g.readyCount), usage };
  }
  if (g.missing.size) {
    if (ratio < 1.0) for (const p of g.missing) metrics.set(p, { timestampMs: 0, windowMs: 0, value: targetMilli });
    else if (ratio > 1.0) for (const p of g.missing) metrics.set(p, { timestampMs: 0, windowMs: 0, value: 0 });
  }
  if (scaleUpWithUnready) for (const p of g.unready) metrics.set(p, { timestampMs: 0, windowMs: 0, value: 0 });
  const next = avg(metrics) / targetMilli;
  if (Math.abs(1.0 - next) <= o.tolerance || (ratio < 1.0 && next > 1.0) || (ratio > 1.0 && next < 1.0)) return { replicas: currentReplicas, usage };
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1.0 && replicas > currentReplicas) || (next > 1.0 && replicas < currentReplicas)) return { replicas: currentReplicas, usage };
  return { replicas, usage };
}
