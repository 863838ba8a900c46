/**
 * The EndpointSlice controller: for every Service with a selector, EndpointSlices listing
 * the pods it selects (ready / serving / terminating, named ports resolved per pod, at
 * most 100 endpoints each), owned by the Service. Services without a selector are left
 * to their users. Writes the cache has not seen yet are waited for, so a lagging
 * informer never causes duplicate slices.
 */
import { keyOf, splitKey } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { isNotFound, isConflict } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { hasSelector, podBacksService, selects } from '../common/service-pods.js';
import { MANAGED_BY, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './reconcile.js';

export const ENDPOINTSLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };
const ZONE_LABEL = 'topology.kubernetes.io/zone';

export class EndpointSliceController {
  static readonly NAME = 'endpointslice-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 30_000 });
  /** Per Service: slices we wrote, with the resourceVersion the cache must reach ('' = deleted). */
  private readonly written = new Map<string, Map<string, string>>();

  constructor(private readonly ctx: ControllerContext) {
    const svcInf = ctx.informers.informer('services');
    const podInf = ctx.informers.informer('pods');
    const sliceInf = ctx.informers.informer(ENDPOINTSLICES);
    svcInf.addHandlers({ onAdd: (s) => this.queue.add(keyOf(s)), onUpdate: (_o, s) => this.queue.add(keyOf(s)), onDelete: (s) => this.queue.add(keyOf(s)) });
    const wake = (pod: any) => {
      for (const svc of svcInf.cache.list(pod.metadata.namespace)) if (selects(svc, pod)) this.queue.add(keyOf(svc));
    };
    podInf.addHandlers({
      onAdd: wake,
      onUpdate: (old, pod) => {
        if (podChanged(old, pod)) {
          wake(pod);
          if (JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) wake(old);
        }
      },
      onDelete: wake,
    });
    const sliceEvent = (s: any) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) this.queue.add(`${s.metadata.namespace}/${svc}`);
    };
    sliceInf.addHandlers({ onAdd: sliceEvent, onUpdate: (_o, s) => sliceEvent(s), onDelete: sliceEvent });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const [svcInf, podInf, sliceInf, nodeInf] = [informers.informer('services'), informers.informer('pods'), informers.informer(ENDPOINTSLICES), informers.informer('nodes')];
    await Promise.all([svcInf, podInf, sliceInf, nodeInf].map((i) => i.waitForSync(signal)));
    const slices = cs.resource(ENDPOINTSLICES);
    const zones = (node: string) => nodeInf.cache.getByName(undefined, node)?.metadata?.labels?.[ZONE_LABEL];
    await runWorkers({
      name: EndpointSliceController.NAME,
      queue: this.queue,
      workers: 4,
      log,
      signal,
      sync: async (key) => {
        const { namespace, name } = splitKey(key);
        const ns = namespace!;
        const mine = sliceInf.cache.list(ns).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
        if (!this.cacheCaughtUp(key, mine)) return { requeueAfterMs: 50 };
        const svc = svcInf.cache.get(key);
        // A deleted Service's slices go with it (owner references); a Service that lost its selector keeps none of ours.
        if (!svc) return void this.written.delete(key);
        const owned = mine.filter((s) => (s.metadata.ownerReferences ?? []).some((r: any) => r.uid === svc.metadata.uid));
        const plan = hasSelector(svc) ? planSlices(svc, podInf.cache.list(ns).filter((p) => selects(svc, p) && podBacksService(p, true)), owned, zones) : { create: [], update: [], delete: owned };
        const track = this.track(key);
        try {
          for (const s of plan.delete) {
            await slices.delete(ns, s.metadata.name, { preconditions: { uid: s.metadata.uid } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
            track.set(s.metadata.name, '');
          }
          for (const s of plan.update) track.set(s.metadata.name, (await slices.update(s)).metadata.resourceVersion);
          for (const s of plan.create) {
            const created = await slices.create(s);
            track.set(created.metadata.name, created.metadata.resourceVersion);
          }
        } catch (err) {
          // A stale slice: wait for the cache and plan again.
          if (isConflict(err)) return { requeueAfterMs: 100 };
          throw err;
        }
      },
    });
  }

  private track(key: string): Map<string, string> {
    let m = this.written.get(key);
    if (!m) this.written.set(key, (m = new Map()));
    return m;
  }

  /** Every slice we wrote for this Service is in the cache at (or past) what we wrote. */
  private cacheCaughtUp(key: string, inCache: any[]): boolean {
    const m = this.written.get(key);
    if (!m) return true;
    const byName = new Map(inCache.map((s) => [s.metadata.name, s]));
    for (const [name, rv] of m) {
      const s = byName.get(name);
      const seen = rv === '' ? !s : !!s && Number(s.metadata.resourceVersion) >= Number(rv);
      if (!seen) return false;
      m.delete(name);
    }
    return true;
  }
}

/** Only what endpoints show: IP, readiness, deletion, labels, node, hostname, ports. */
function podChanged(a: any, b: any): boolean {
  const ready = (p: any) => (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
  return (
    a.status?.podIP !== b.status?.podIP ||
    a.status?.phase !== b.status?.phase ||
    ready(a) !== ready(b) ||
    !!a.metadata.deletionTimestamp !== !!b.metadata.deletionTimestamp ||
    JSON.stringify(a.metadata.labels) !== JSON.stringify(b.metadata.labels) ||
    a.spec?.nodeName !== b.spec?.nodeName ||
    a.spec?.hostname !== b.spec?.hostname
  );
}
