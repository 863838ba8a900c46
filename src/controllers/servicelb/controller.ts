/**
 * The service load balancer for clusters without a cloud (k3s's servicelb, in spirit):
 * a `type: LoadBalancer` Service gets the InternalIPs of the ready, schedulable nodes as
 * its status.loadBalancer.ingress, and every node's proxy accepts traffic for those
 * addresses on the Service port. Other Services have their ingress cleared.
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';

function nodeIngress(nodes: any[]): any[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    const ready = (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
    if (!ready || n.spec?.unschedulable) continue;
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && a.address) ips.add(a.address);
  }
  return [...ips].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).map((ip) => ({ ip, ipMode: 'VIP' }));
}

export class ServiceLbController {
  static readonly NAME = 'service-lb-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 30_000 });

  constructor(private readonly ctx: ControllerContext) {
    const svcInf = ctx.informers.informer('services');
    svcInf.addHandlers({ onAdd: (s) => this.queue.add(keyOf(s)), onUpdate: (_o, s) => this.queue.add(keyOf(s)) });
    const all = () => {
      for (const s of svcInf.cache.list()) if (s.spec?.type === 'LoadBalancer') this.queue.add(keyOf(s));
    };
    ctx.informers.informer('nodes').addHandlers({ onAdd: all, onUpdate: (o, n) => JSON.stringify(nodeIngress([o])) !== JSON.stringify(nodeIngress([n])) && all(), onDelete: all });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const [svcInf, nodeInf] = [informers.informer('services'), informers.informer('nodes')];
    await Promise.all([svcInf.waitForSync(signal), nodeInf.waitForSync(signal)]);
    const services = cs.resource('services');
    await runWorkers({
      name: ServiceLbController.NAME,
      queue: this.queue,
      workers: 2,
      log,
      signal,
      sync: async (key) => {
        const svc = svcInf.cache.get(key);
        if (!svc) return;
        // A Service naming another load balancer implementation is left to it.
        if (svc.spec?.loadBalancerClass) return;
        const want = svc.spec?.type === 'LoadBalancer' ? nodeIngress(nodeInf.cache.list()) : [];
        const have = svc.status?.loadBalancer?.ingress ?? [];
        if (JSON.stringify(have) === JSON.stringify(want)) return;
        try {
          await services.updateStatus({ ...svc, status: { ...(svc.status ?? {}), loadBalancer: want.length ? { ingress: want } : {} } });
        } catch (err) {
          if (isConflict(err)) return { requeueAfterMs: 100 };
          if (!isNotFound(err)) throw err;
        }
      },
    });
  }
}
