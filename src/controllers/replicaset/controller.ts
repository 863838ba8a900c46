/**
 * The ReplicaSet controller's wiring: informer events become ReplicaSet keys on the work
 * queue (a pod event wakes its controlling ReplicaSet, an orphan wakes every ReplicaSet
 * that selects it), and expectations learn of observed creates and deletes; the routing
 * is common/owner-events.ts, shared with the other owners of pods.
 */
import type { Clientset, InformerFactory } from '../../client/clientset.js';
import { runWorkers } from '../../client/controller.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Logger } from '../../util/log.js';
import { EventRecorder } from '../common/events.js';
import { Expectations } from '../common/expectations.js';
import { ownerEventHandlers, ownerKeyHandlers } from '../common/owner-events.js';
import { syncReplicaSet } from './sync.js';

export interface ControllerContext {
  cs: Clientset;
  informers: InformerFactory;
  log: Logger;
  now?: () => number;
}

export class ReplicaSetController {
  static readonly NAME = 'replicaset-controller';
  readonly queue = new WorkQueue();
  readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    const rsInf = ctx.informers.informer('replicasets');
    const podInf = ctx.informers.informer('pods');
    rsInf.addHandlers(ownerKeyHandlers(this.queue, this.expectations));
    podInf.addHandlers(ownerEventHandlers({ kind: 'ReplicaSet', owners: rsInf.cache, queue: this.queue, expectations: this.expectations, requeueOnReady: true }));
  }

  async start(signal: AbortSignal, workers = 5): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const recorder = new EventRecorder(cs, ReplicaSetController.NAME, log);
    const rsInf = informers.informer('replicasets');
    const podInf = informers.informer('pods');
    await Promise.all([rsInf.waitForSync(signal), podInf.waitForSync(signal)]);
    await runWorkers({
      name: ReplicaSetController.NAME,
      queue: this.queue,
      workers,
      log,
      signal,
      sync: (key) =>
        syncReplicaSet(
          { pods: cs.resource('pods'), replicasets: cs.resource('replicasets'), listPods: (ns) => podInf.cache.list(ns), expectations: this.expectations, recorder, now: this.ctx.now ?? Date.now },
          key,
          rsInf.cache.get(key),
        ),
    });
  }
}
