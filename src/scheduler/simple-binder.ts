/**
 * A stand-in scheduler until the real one (scheduler framework) lands: binds each
 * unscheduled pod that asks for the default scheduler to the Ready, schedulable node
 * with a pod CIDR that has the fewest pods, through the pods/binding subresource.
 */
import type { Clientset, InformerFactory } from '../client/clientset.js';
import { keyOf } from '../client/cache.js';
import { runWorkers } from '../client/controller.js';
import { WorkQueue } from '../client/workqueue.js';
import { isNotFound, isConflict } from '../client/rest.js';
import type { Logger } from '../util/log.js';

export class SimpleBinder {
  private readonly queue = new WorkQueue({ baseDelayMs: 500, maxDelayMs: 10_000 });
  /** Pods bound per node, counting binds not yet seen by the informer. */
  private readonly assumed = new Map<string, string>();

  constructor(private readonly ctx: { cs: Clientset; informers: InformerFactory; log: Logger }) {
    const wake = (p: any) => {
      if (!p.spec?.nodeName && !p.metadata.deletionTimestamp && (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler') this.queue.add(keyOf(p));
    };
    ctx.informers.informer('pods').addHandlers({ onAdd: wake, onUpdate: (_o, p) => wake(p) });
    ctx.informers.informer('nodes').addHandlers({
      onAdd: () => this.retryPending(),
      onUpdate: (o, n) => {
        if (!o.spec?.podCIDR && n.spec?.podCIDR) this.retryPending();
      },
    });
  }

  private retryPending(): void {
    for (const p of this.ctx.informers.informer('pods').cache.list()) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) this.queue.add(keyOf(p));
  }

  async start(signal: AbortSignal): Promise<void> {
    const pods = this.ctx.informers.informer('pods');
    const nodes = this.ctx.informers.informer('nodes');
    await Promise.all([pods.waitForSync(signal), nodes.waitForSync(signal)]);
    await runWorkers({
      name: 'simple-binder',
      queue: this.queue,
      workers: 4,
      log: this.ctx.log,
      signal,
      sync: async (key) => {
        const pod = pods.cache.get(key);
        if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp || this.assumed.has(pod.metadata.uid)) return;
        const counts = new Map<string, number>();
        for (const p of pods.cache.list()) if (p.spec?.nodeName) counts.set(p.spec.nodeName, (counts.get(p.spec.nodeName) ?? 0) + 1);
        for (const n of this.assumed.values()) counts.set(n, (counts.get(n) ?? 0) + 1);
        const candidates = nodes.cache
          .list()
          .filter((n) => !n.spec?.unschedulable && n.spec?.podCIDR && (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'))
          .filter((n) => (counts.get(n.metadata.name) ?? 0) < Number(n.status?.allocatable?.pods ?? 110));
        if (!candidates.length) throw new Error('no node available');
        candidates.sort((a, b) => (counts.get(a.metadata.name) ?? 0) - (counts.get(b.metadata.name) ?? 0) || a.metadata.name.localeCompare(b.metadata.name));
        const node = candidates[0].metadata.name;
        this.assumed.set(pod.metadata.uid, node);
        try {
          await this.ctx.cs.rest.request(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
            method: 'POST',
            body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
          });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        } finally {
          // The informer will show nodeName soon; keep the assumption briefly to spread a burst.
          setTimeout(() => this.assumed.delete(pod.metadata.uid), 2000).unref();
        }
      },
    });
  }
}
