/**
 * GET and LIST of metrics.k8s.io/v1beta1 nodes and pods, as metrics-server's API serves
 * them: objects for the nodes/pods that exist (read from the store, so label and field
 * selectors filter on their labels) and have usage; NodeMetrics carry the node's labels,
 * PodMetrics the pod's, creationTimestamp is the time of the request, `timestamp` the
 * sample and `window` the span the cpu rate covers. Pods not Running are left out. A get
 * of a pod or node that does not exist answers as metrics-server's listers do (`pods
 * "x" not found`, `node "x" not found`); one without metrics is
 * `podmetrics.metrics.k8s.io "ns/name" not found` / `nodemetrics.metrics.k8s.io "x" not found`.
 */
import { ApiError, errors } from '../errors.js';
import { rfc3339, type RequestContext } from '../rest/context.js';
import { matcherFor } from '../rest/read.js';
import { render, sendJson, toTable } from '../rest/respond.js';
import { cpuQuantity, goDuration, memoryQuantity } from '../../api/builtin/metrics-quantity.js';
import type { MetricsStorage, Usage } from './storage.js';

const usage = (u: Usage) => ({ cpu: cpuQuantity(u.nanoCores), memory: memoryQuantity(u.memoryBytes) });

function nodeMetricsOf(storage: MetricsStorage, node: any, now: Date): any | undefined {
  const u = storage.nodeUsage(node.metadata.name);
  if (!u) return undefined;
  return {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: node.metadata.name, creationTimestamp: rfc3339(now), ...(node.metadata.labels ? { labels: node.metadata.labels } : {}) },
    timestamp: rfc3339(new Date(u.timestampMs)),
    window: goDuration(u.windowMs),
    usage: usage(u),
  };
}

function podMetricsOf(storage: MetricsStorage, pod: any, now: Date): any | undefined {
  if (pod.status?.phase !== 'Running') return undefined;
  const m = storage.podUsage(pod.metadata.namespace, pod.metadata.name);
  if (!m) return undefined;
  // Containers in the pod's order.
  const order = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const containers = [...m.containers].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: rfc3339(now), ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}) },
    timestamp: rfc3339(new Date(m.timestampMs)),
    window: goDuration(m.windowMs),
    containers: containers.map((c) => ({ name: c.name, usage: usage(c.usage) })),
  };
}

/** Serves one metrics.k8s.io request (get or list; no watch). */
export async function serveMetrics(ctx: RequestContext, storage: MetricsStorage | undefined): Promise<void> {
  const m = ctx.req.method ?? 'GET';
  const isWatch = ctx.info.legacyWatch || ctx.query.get('watch') === 'true' || ctx.query.get('watch') === '1';
  if (m !== 'GET' || ctx.info.subresource || isWatch) throw errors.methodNotSupported(ctx.def.plural, isWatch ? 'watch' : m);
  const now = ctx.now();
  const isNodes = ctx.def.kind === 'NodeMetrics';
  const sourceDef = ctx.registry.lookup('', 'v1', isNodes ? 'nodes' : 'pods')!;
  const of = (o: any) => (storage ? (isNodes ? nodeMetricsOf(storage, o, now) : podMetricsOf(storage, o, now)) : undefined);
  const name = ctx.info.name;
  if (name !== undefined) {
    const src = await ctx.store.tryGet(sourceDef, ctx.info.namespace, name);
    if (!src) throw isNodes ? new ApiError(404, 'NotFound', `node "${name}" not found`, { name, kind: 'node' }) : errors.notFound('', 'pods', name);
    const obj = of(src);
    if (!obj) throw errors.notFound('metrics.k8s.io', isNodes ? 'nodemetrics' : 'podmetrics', isNodes ? name : `${ctx.info.namespace}/${name}`);
    return sendJson(ctx.res, 200, render(ctx.def, obj, ctx.format), { 'Content-Type': ctx.format.contentType });
  }
  const match = matcherFor(sourceDef, ctx.query);
  const items = (await ctx.store.list(sourceDef, ctx.info.namespace))
    .filter(match)
    .map(of)
    .filter(Boolean);
  if (ctx.format.as === 'Table') return sendJson(ctx.res, 200, toTable(ctx.def, items, ctx.format), { 'Content-Type': ctx.format.contentType });
  sendJson(ctx.res, 200, { kind: ctx.def.listKind, apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items }, { 'Content-Type': ctx.format.contentType });
}
