/**
 * The DaemonSet controller's wiring: DaemonSet, pod, ControllerRevision and node events
 * wake the DaemonSets concerned (a node joining, leaving or changing labels/taints may
 * change where every DaemonSet should run); pod events also settle the expectations of
 * the owning set (routing shared with the other owners, in common/owner-events.ts).
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { Expectations } from '../common/expectations.js';
import { ownerEventHandlers, ownerKeyHandlers } from '../common/owner-events.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { syncDaemonSet } from './sync.js';

export class DaemonSetController {
  static readonly NAME = 'daemonset-controller';
  private readonly queue = new WorkQueue();
  private readonly expectations: Expectations;
  private readonly backoff = new Map<string, { delayMs: number; at: number }>();

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    const dsInf = ctx.informers.informer('daemonsets');
    const all = () => {
      for (const ds of dsInf.cache.list()) this.queue.add(keyOf(ds));
    };
    dsInf.addHandlers(ownerKeyHandlers(this.queue, this.expectations));
    ctx.informers.informer('pods').addHandlers(ownerEventHandlers({ kind: 'DaemonSet', owners: dsInf.cache, queue: this.queue, expectations: this.expectations, requeueOnReady: true }));
    ctx.informers.informer('nodes').addHandlers({
      onAdd: all,
      onDelete: all,
      onUpdate: (o, n) => {
        if (JSON.stringify([o.metadata.labels, o.spec?.taints, o.spec?.unschedulable]) !== JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable])) all();
      },
    });
    // ControllerRevision events route the same way (upstream's add/update/deleteHistory).
    ctx.informers.informer('controllerrevisions').addHandlers(ownerEventHandlers({ kind: 'DaemonSet', owners: dsInf.cache, queue: this.queue }));
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const recorder = new EventRecorder(cs, DaemonSetController.NAME, log);
    const [dsInf, podInf, nodeInf, revInf] = [informers.informer('daemonsets'), informers.informer('pods'), informers.informer('nodes'), informers.informer('controllerrevisions')];
    await Promise.all([dsInf, podInf, nodeInf, revInf].map((i) => i.waitForSync(signal)));
    await runWorkers({
      name: DaemonSetController.NAME,
      queue: this.queue,
      workers: 2,
      log,
      signal,
      sync: (key) =>
        syncDaemonSet(
          {
            pods: cs.resource('pods'),
            daemonsets: cs.resource('daemonsets'),
            revisions: cs.resource('controllerrevisions'),
            listPods: (ns) => podInf.cache.list(ns),
            listNodes: () => nodeInf.cache.list(),
            listRevisions: (ns) => revInf.cache.list(ns),
            expectations: this.expectations,
            backoff: this.backoff,
            recorder,
            now: this.ctx.now ?? Date.now,
          },
          key,
          dsInf.cache.get(key),
        ),
    });
  }
}
