/** The StatefulSet controller's wiring: set, pod and claim events wake the owning set. */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { controllerRef } from '../common/pods.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { syncStatefulSet } from './sync.js';

const PVCS = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true };

export class StatefulSetController {
  static readonly NAME = 'statefulset-controller';
  private readonly queue = new WorkQueue();

  constructor(private readonly ctx: ControllerContext) {
    const setInf = ctx.informers.informer('statefulsets');
    setInf.addHandlers({ onAdd: (s) => this.queue.add(keyOf(s)), onUpdate: (_o, s) => this.queue.add(keyOf(s)), onDelete: (s) => this.queue.add(keyOf(s)) });
    const podEvent = (p: any) => {
      const ref = controllerRef(p);
      if (ref?.kind === 'StatefulSet') this.queue.add(`${p.metadata.namespace}/${ref.name}`);
    };
    ctx.informers.informer('pods').addHandlers({ onAdd: podEvent, onUpdate: (_o, p) => podEvent(p), onDelete: podEvent });
    ctx.informers.informer('controllerrevisions');
    ctx.informers.informer(PVCS);
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
            recorder,
            now: this.ctx.now ?? Date.now,
          },
          setInf.cache.get(key),
        ),
    });
  }
}
