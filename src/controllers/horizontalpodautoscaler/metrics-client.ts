/**
 * The resource metrics client (upstream's resourceMetricsClient): PodMetrics of the pods
 * a selector matches, from metrics.k8s.io through the API server, summed per pod over
 * its containers (or the one named, for ContainerResource) in milli-units.
 */
import { StatusError, type RestClient } from '../../client/rest.js';
import { parseQuantity } from '../../scheduler/framework/resources.js';
import { CalculationError, type PodMetrics } from './replica-calculator.js';

function goDurationMs(s: string | undefined): number {
  if (!s) return 0;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
  let total = 0;
  for (const m of s.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) total += Number(m[1]) * units[m[2]];
  return total;
}

export const milliValue = (q: string | number): number => Math.ceil(parseQuantity(q) * 1000 - 1e-6);

export async function resourceMetric(rest: RestClient, resource: string, namespace: string, selector: string, container?: string): Promise<{ metrics: PodMetrics; timestampMs: number }> {
  let list: any;
  try {
    list = await rest.request(`/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`, { query: { labelSelector: selector } });
  } catch (err) {
    const msg = err instanceof StatusError && err.code === 404 ? 'the server could not find the requested resource (get pods.metrics.k8s.io)' : (err as Error).message;
    throw new CalculationError(`unable to get metrics for resource ${resource}: unable to fetch metrics from resource metrics API: ${msg}`);
  }
  const items: any[] = list?.items ?? [];
  if (!items.length) throw new CalculationError(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
  const metrics: PodMetrics = new Map();
  for (const m of items) {
    let sum = 0;
    let ok = true;
    let found = !container;
    for (const c of m.containers ?? []) {
      if (container && c.name !== container) continue;
      found = true;
      const v = c.usage?.[resource];
      if (v === undefined) {
        ok = false;
        break;
      }
      sum += milliValue(v);
    }
    if (ok && found) metrics.set(m.metadata.name, { timestampMs: Date.parse(m.timestamp), windowMs: goDurationMs(m.window), value: sum });
  }
  return { metrics, timestampMs: Date.parse(items[0].timestamp) };
}
