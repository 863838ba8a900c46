/**
 * One replica proposal per metric of an HPA, and the highest of them (upstream's
 * computeReplicasForMetrics). A metric that fails is reported (event and ScalingActive
 * reason) and skipped; if every metric failed, or some failed and the rest would scale
 * down, there is no proposal ("invalid metrics (N invalid out of M), first error is: ...").
 */
import type { RestClient } from '../../client/rest.js';
import { parseLabelSelectorString } from './selector.js';
import type { EventRecorder } from '../common/events.js';
import { milliValue, resourceMetric } from './metrics-client.js';
import { CalculationError, plainReplicas, podRequests, resourceReplicas, type CalculatorOptions } from './replica-calculator.js';

export class MetricsError extends Error {}

export interface MetricsContext {
  rest: RestClient;
  pods: (namespace: string) => any[];
  recorder: EventRecorder;
  calc: CalculatorOptions;
  /** Records this HPA's selector and names every HPA whose selector takes one of these pods. */
  hpasSelecting?: (hpa: any, match: (labels: Record<string, string>) => boolean, pods: any[]) => string[];
}

interface Proposal {
  replicas: number;
  metricName: string;
  status: any;
}

const milliQuantity = (milli: number) => (milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`);

async function resourceProposal(c: MetricsContext, hpa: any, m: any, current: number, selector: string, container?: string): Promise<Proposal> {
  const src = container ? m.containerResource : m.resource;
  const name: string = src.name;
  const ns = hpa.metadata.namespace;
  const match = parseLabelSelectorString(selector);
  const pods = c.pods(ns).filter((p) => match(p.metadata.labels ?? {}));
  const wrap = (what: string, err: unknown) => new CalculationError(`failed to get ${name} ${what}: ${(err as Error).message}`);
  const statusOf = (current: any) => (container ? { type: 'ContainerResource', containerResource: { name, container, current } } : { type: 'Resource', resource: { name, current } });
  const target = src.target ?? {};
  if (target.averageValue !== undefined && target.averageValue !== null) {
    try {
      const { metrics } = await resourceMetric(c.rest, name, ns, selector, container);
      const r = plainReplicas(current, milliValue(target.averageValue), name, pods, metrics, c.calc);
      return { replicas: r.replicas, metricName: `${name} resource`, status: statusOf({ averageValue: milliQuantity(r.usage) }) };
    } catch (err) {
      throw wrap('usage', err);
    }
  }
  if (target.averageUtilization !== undefined && target.averageUtilization !== null) {
    try {
      const { metrics } = await resourceMetric(c.rest, name, ns, selector, container);
      const requests = podRequests(pods, name, container, milliValue);
      const r = resourceReplicas(current, target.averageUtilization, name, pods, metrics, requests, c.calc);
      return { replicas: r.replicas, metricName: `${name} resource utilization (percentage of request)`, status: statusOf({ averageValue: milliQuantity(r.raw), averageUtilization: r.utilization }) };
    } catch (err) {
      throw wrap('utilization', err);
    }
  }
  throw new CalculationError('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
}

export async function computeReplicasForMetrics(
  c: MetricsContext,
  hpa: any,
  scale: any,
  current: number,
): Promise<{ replicas?: number; metricName?: string; statuses: any[]; error?: { reason: string; message: string; err: Error } }> {
  const selector: string = scale.status?.selector ?? '';
  if (!selector) {
    c.recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
    return { statuses: [], error: { reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector", err: new MetricsError('selector is required') } };
  }
  // Two HPAs scaling the same pods would fight: upstream refuses (AmbiguousSelector).
  const match = parseLabelSelectorString(selector);
  const selected = c.pods(hpa.metadata.namespace).filter((p) => match(p.metadata.labels ?? {}));
  const hpas = c.hpasSelecting?.(hpa, match, selected) ?? [];
  if (hpas.length > 1) {
    const msg = `pods by selector ${selector} are controlled by multiple HPAs: [${hpas.join(' ')}]`;
    c.recorder.event(hpa, 'Warning', 'AmbiguousSelector', msg);
    return { statuses: [], error: { reason: 'AmbiguousSelector', message: msg, err: new MetricsError(msg) } };
  }
  const metrics: any[] = hpa.spec?.metrics ?? [];
  const statuses: any[] = [];
  let best: Proposal | undefined;
  let invalid = 0;
  let first: { reason: string; message: string; err: Error } | undefined;
  for (const m of metrics) {
    try {
      let p: Proposal;
      if (m.type === 'Resource' && m.resource) p = await resourceProposal(c, hpa, m, current, selector);
      else if (m.type === 'ContainerResource' && m.containerResource) p = await resourceProposal(c, hpa, m, current, selector, m.containerResource.container);
      else throw Object.assign(new CalculationError(`unable to get ${String(m.type).toLowerCase()} metric: no custom or external metrics API is served`), { reason: `FailedGet${m.type}Metric` });
      statuses.push(p.status);
      if (!best || p.replicas > best.replicas) best = p;
    } catch (err) {
      invalid++;
      statuses.push({ type: '' });
      const reason = (err as any).reason ?? (m.type === 'ContainerResource' ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric');
      c.recorder.event(hpa, 'Warning', reason, (err as Error).message);
      first ??= { reason, message: `the HPA was unable to compute the replica count: ${(err as Error).message}`, err: err as Error };
    }
  }
  const cleaned = statuses.filter((s) => s.type);
  if (invalid && (invalid >= metrics.length || !best || best.replicas < current)) {
    return { statuses: cleaned, error: { reason: first!.reason, message: first!.message, err: new MetricsError(`invalid metrics (${invalid} invalid out of ${metrics.length}), first error is: ${first!.err.message}`) } };
  }
  return { replicas: best?.replicas, metricName: best?.metricName, statuses: cleaned };
}
