/**
 * The Deployment controller's wiring (upstream's deployment_controller.go): informer
 * events become Deployment keys on the work queue. A Deployment event wakes itself; a
 * ReplicaSet event wakes its controlling Deployment (and, if the controller changed,
 * the previous one); an orphan ReplicaSet wakes every Deployment whose selector matches
 * it, so one can adopt it; a pod deletion wakes a Recreate Deployment once none of its
 * pods is left, which is what lets it start the new ReplicaSet. The ReplicaSet routing
 * is the one every owner of pods shares (common/owner-events.ts).
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { ownerEventHandlers, ownerKeyHandlers, resolveControllerRef } from '../common/owner-events.js';
import { controllerRef } from '../common/pods.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { syncDeployment } from './sync.js';
import type { Deployment, DeploymentSyncDeps, ReplicaSet } from './types.js';

export type { ControllerContext };

export class DeploymentController {
  static readonly NAME = 'deployment-controller';
  readonly queue = new WorkQueue();
  private readonly dInf: Informer<Deployment>;
  private readonly rsInf: Informer<ReplicaSet>;
  private readonly podInf: Informer<any>;

  constructor(private readonly ctx: ControllerContext) {
    this.dInf = ctx.informers.informer<Deployment>('deployments');
    this.rsInf = ctx.informers.informer<ReplicaSet>('replicasets');
    this.podInf = ctx.informers.informer('pods');
    this.dInf.addHandlers(ownerKeyHandlers(this.queue));
    this.rsInf.addHandlers(ownerEventHandlers({ kind: 'Deployment', owners: this.dInf.cache, queue: this.queue }));
    this.podInf.addHandlers({ onDelete: (pod) => this.onPodDelete(pod) });
  }

  private enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  /** getDeploymentForPod: pod -> controlling ReplicaSet -> controlling Deployment. */
  private deploymentForPod(pod: any): Deployment | undefined {
    const rs = resolveControllerRef('ReplicaSet', this.rsInf.cache, pod.metadata.namespace, controllerRef(pod));
    return rs && resolveControllerRef('Deployment', this.dInf.cache, rs.metadata.namespace, controllerRef(rs));
  }

  private onPodDelete(pod: any): void {
    const d = this.deploymentForPod(pod);
    if (!d || d.spec?.strategy?.type !== 'Recreate') return;
    // Sync once the Deployment has no pods left at all.
    const owned = new Set(
      this.rsInf.cache
        .list(d.metadata.namespace)
        .filter((rs) => controllerRef(rs)?.uid === d.metadata.uid)
        .map((rs) => rs.metadata.uid),
    );
    const left = this.podInf.cache.list(d.metadata.namespace, d.spec.selector).some((p) => owned.has(controllerRef(p)?.uid));
    if (!left) this.enqueue(d);
  }

  /** The sync dependencies over this process's clients and informer caches. */
  syncDeps(recorder: DeploymentSyncDeps['recorder']): DeploymentSyncDeps {
    const { cs, log } = this.ctx;
    return {
      deployments: cs.resource('deployments'),
      replicasets: cs.resource('replicasets'),
      listReplicaSets: (ns) => this.rsInf.cache.list(ns),
      listPods: (ns, sel) => this.podInf.cache.list(ns, sel),
      recorder,
      now: this.ctx.now ?? Date.now,
      log,
    };
  }

  async start(signal: AbortSignal, workers = 5): Promise<void> {
    const { cs, log } = this.ctx;
    const deps = this.syncDeps(new EventRecorder(cs, DeploymentController.NAME, log));
    await Promise.all([this.dInf.waitForSync(signal), this.rsInf.waitForSync(signal), this.podInf.waitForSync(signal)]);
    await runWorkers({
      name: DeploymentController.NAME,
      queue: this.queue,
      workers,
      log,
      signal,
      sync: (key) => syncDeployment(deps, key, this.dInf.cache.get(key)),
    });
  }
}
