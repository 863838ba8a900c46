/**
 * The StatefulSet controller's wiring: set, pod and claim events wake the owning set;
 * pod events settle the set's expectations (routing shared with the other owners of
 * pods, in common/owner-events.ts).
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { Expectations } from '../common/expectations.js';
import { ownerEventHandlers, ownerKeyHandlers } from '../common/owner-events.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { syncStatefulSet } from './sync.js';

const PVCS = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true };

export class StatefulSetController {
  static readonly NAME = 'statefulset-controller';
  private readonly queue = new WorkQueue();
  private readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    const setInf = ctx.informers.informer('statefulsets');
    setInf.addHandlers(ownerKeyHandlers(this.queue, this.expectations));
    ctx.informers.informer('pods').addHandlers(ownerEventHandlers({ kind: 'StatefulSet', owners: setInf.cache, queue: this.queue, expectations: this.expectations, requeueOnReady: true }));
    ctx.informers.informer('controllerrevisions');
    // A claim going away may unblock a pod waiting for its stale claim.
    const claimEvent = (c: any) => {
      for (const s of setInf.cache.list(c.metadata.namespace)) if ((s.spec?.volumeClaimTemplates ?? []).some((t: any) => c.metadata.name.startsWith(`${t.metadata?.name}-${s.metadata.name}-`))) this.queue.add(keyOf(s));
    };
    ctx.informers.informer(PVCS).addHandlers({ onAdd: claimEvent, onUpdate: (_o, c) => claimEvent(c), onDelete: claimEvent });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const recorder = new EventRecorder(cs, StatefulSetController.NAME, log);
    const [setInf, podInf, revInf, pvcInf] = [informers.informer('statefulsets'), informers.informer('pods'), informers.informer('controllerrevisions'), informers.informer(PVCS)];
    await Promise.all([setInf, podInf, revInf, pvcInf].map((i) => i.waitForSync(signal)));
    await runWorkers({
      name: StatefulSetController.NAME,
      queue: this.queue,
      workers: 2,
      log,
      signal,
      sync: (key) =>
        syncStatefulSet(
          {
            pods: cs.resource('pods'),
            sets: cs.resource('statefulsets'),
            revisions: cs.resource('controllerrevisions'),
            claims: cs.resource(PVCS),
            listPods: (ns) => podInf.cache.list(ns),
            listRevisions: (ns) => revInf.cache.list(ns),
            getClaim: (ns, name) => pvcInf.cache.getByName(ns, name),
            expectations: this.expectations,
            recorder,
            now: this.ctx.now ?? Date.now,
          },
          key,
          setInf.cache.get(key),
        ),
    });
  }
}
