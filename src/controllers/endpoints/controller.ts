/**
 * The Endpoints controller (the legacy core/v1 Endpoints object, still read by many
 * tools): for every Service with a selector, one Endpoints of the same name whose
 * subsets list ready pods in `addresses` and unready ones in `notReadyAddresses`,
 * grouped by resolved port set. Terminating pods are left out (unless the Service
 * publishes not-ready addresses); over 1000 addresses the list is truncated and
 * annotated, as upstream does.
 */
import { keyOf, splitKey } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { hasSelector, podBacksService, podEndpoint, portsKey, selects, targetRef } from '../common/service-pods.js';

const MAX_ADDRESSES = 1000;
const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
const ENDPOINTS = { group: '', version: 'v1', plural: 'endpoints', namespaced: true };

/** The subsets for a Service's pods: one per distinct resolved port set, addresses sorted by IP. */
export function endpointSubsets(svc: any, pods: any[]): { subsets: any[]; truncated: boolean } {
  const groups = new Map<string, { ports: any[]; ready: any[]; notReady: any[] }>();
  const publish = !!svc.spec?.publishNotReadyAddresses;
  let total = 0;
  for (const pod of pods) {
    if (!podBacksService(pod, publish)) continue;
    const e = podEndpoint(svc, pod);
    // A Service with ports needs at least one resolved on the pod.
    if ((svc.spec?.ports ?? []).length && !e.ports.length) continue;
    const k = portsKey(e.ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports: e.ports.map((p) => ({ name: p.name || undefined, port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })), ready: [], notReady: [] }));
    if (total >= MAX_ADDRESSES) continue;
    total++;
    const addr: any = { ip: e.ip };
    if (e.hostname) addr.hostname = e.hostname;
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    addr.targetRef = targetRef(pod);
    (e.ready ? g.ready : g.notReady).push(addr);
  }
  const byIp = (a: any, b: any) => a.ip.localeCompare(b.ip, undefined, { numeric: true });
  const subsets = [...groups.values()]
    .filter((g) => g.ready.length || g.notReady.length)
    .map((g) => {
      const s: any = {};
      if (g.ready.length) s.addresses = g.ready.sort(byIp);
      if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIp);
      s.ports = g.ports.map((p) => JSON.parse(JSON.stringify(p)));
      return s;
    });
  return { subsets, truncated: pods.length > MAX_ADDRESSES && total >= MAX_ADDRESSES };
}

export class EndpointsController {
  static readonly NAME = 'endpoints-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 30_000 });

  constructor(private readonly ctx: ControllerContext) {
    const svcInf = ctx.informers.informer('services');
    svcInf.addHandlers({ onAdd: (s) => this.queue.add(keyOf(s)), onUpdate: (_o, s) => this.queue.add(keyOf(s)), onDelete: (s) => this.queue.add(keyOf(s)) });
    const wake = (pod: any) => {
      for (const svc of svcInf.cache.list(pod.metadata.namespace)) if (selects(svc, pod)) this.queue.add(keyOf(svc));
    };
    ctx.informers.informer('pods').addHandlers({
      onAdd: wake,
      onUpdate: (old, pod) => {
        wake(pod);
        if (JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) wake(old);
      },
      onDelete: wake,
    });
    ctx.informers.informer(ENDPOINTS).addHandlers({ onDelete: (e) => this.queue.add(keyOf(e)) });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const [svcInf, podInf, epInf] = [informers.informer('services'), informers.informer('pods'), informers.informer(ENDPOINTS)];
    await Promise.all([svcInf, podInf, epInf].map((i) => i.waitForSync(signal)));
    const client = cs.resource(ENDPOINTS);
    await runWorkers({
      name: EndpointsController.NAME,
      queue: this.queue,
      workers: 4,
      log,
      signal,
      sync: async (key) => {
        const { namespace, name } = splitKey(key);
        const ns = namespace!;
        const svc = svcInf.cache.get(key);
        const cur = epInf.cache.get(key);
        if (!svc) {
          // The Service is gone: so are its Endpoints (upstream deletes them directly).
          if (cur) await client.delete(ns, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
          return;
        }
        if (!hasSelector(svc)) return;
        const { subsets, truncated } = endpointSubsets(svc, podInf.cache.list(ns).filter((p) => selects(svc, p)));
        const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
        if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
        const annotations: Record<string, string> = { ...(cur?.metadata.annotations ?? {}) };
        if (truncated) annotations[OVER_CAPACITY] = 'truncated';
        else delete annotations[OVER_CAPACITY];
        const want = { apiVersion: 'v1', kind: 'Endpoints', metadata: { ...(cur?.metadata ?? { name, namespace: ns }), labels, annotations }, subsets };
        if (!Object.keys(annotations).length) delete (want.metadata as any).annotations;
        if (cur && JSON.stringify(cur.subsets ?? []) === JSON.stringify(subsets) && JSON.stringify(cur.metadata.labels ?? {}) === JSON.stringify(labels) && JSON.stringify(cur.metadata.annotations ?? {}) === JSON.stringify(annotations)) return;
        try {
          if (cur) await client.update(want);
          else await client.create(want);
        } catch (err) {
          if (isConflict(err) || isAlreadyExists(err)) return { requeueAfterMs: 100 };
          throw err;
        }
      },
    });
  }
}
