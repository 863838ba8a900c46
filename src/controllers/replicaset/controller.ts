/**
 * The ReplicaSet controller's wiring: informer events become ReplicaSet keys on the work
 * queue (a pod event wakes its controlling ReplicaSet, an orphan wakes every ReplicaSet
 * that selects it), and expectations learn of observed creates and deletes.
 */
import type { Clientset, InformerFactory } from '../../client/clientset.js';
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { matchesSelector } from '../../client/selector.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Logger } from '../../util/log.js';
import { EventRecorder } from '../common/events.js';
import { Expectations } from '../common/expectations.js';
import { controllerRef } from '../common/pods.js';
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
    rsInf.addHandlers({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (_o, rs) => this.queue.add(keyOf(rs)),
      onDelete: (rs) => this.queue.add(keyOf(rs)),
    });
    const ownerKey = (pod: any): string | undefined => {
      const ref = controllerRef(pod);
      if (!ref || ref.kind !== 'ReplicaSet') return undefined;
      const rs = rsInf.cache.getByName(pod.metadata.namespace, ref.name);
      return rs && rs.metadata.uid === ref.uid ? keyOf(rs) : undefined;
    };
    const wakeSelecting = (pod: any) => {
      for (const rs of rsInf.cache.list(pod.metadata.namespace)) if (matchesSelector(rs.spec?.selector, pod.metadata.labels)) this.queue.add(keyOf(rs));
    };
    podInf.addHandlers({
      onAdd: (pod) => {
        if (pod.metadata.deletionTimestamp) return void this.onPodDelete(pod, ownerKey(pod));
        const k = ownerKey(pod);
        if (k) {
          this.expectations.creationObserved(k);
          this.queue.add(k);
        } else if (!controllerRef(pod)) wakeSelecting(pod);
      },
      onUpdate: (old, pod) => {
        const k = ownerKey(pod);
        const ok = ownerKey(old);
        if (ok && ok !== k) this.queue.add(ok);
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) return void this.onPodDelete(pod, k);
        if (k) this.queue.add(k);
        else if (!controllerRef(pod)) wakeSelecting(pod);
        if (JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) wakeSelecting(old);
      },
      onDelete: (pod) => this.onPodDelete(pod, ownerKey(pod)),
    });
  }

  private onPodDelete(pod: any, k: string | undefined): void {
    if (!k) return;
    this.expectations.deletionObserved(k, keyOf(pod));
    this.queue.add(k);
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
