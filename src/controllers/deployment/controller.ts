/**
 * The Deployment controller's wiring (upstream's deployment_controller.go): informer
 * events become Deployment keys on the work queue. A Deployment event wakes itself; a
 * ReplicaSet event wakes its controlling Deployment (and, if the controller changed,
 * the previous one); an orphan ReplicaSet wakes every Deployment whose selector matches
 * it, so one can adopt it; a pod deletion wakes a Recreate Deployment once none of its
 * pods is left, which is what lets it start the new ReplicaSet.
 */
import type { Clientset, InformerFactory } from '../../client/clientset.js';
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import type { Informer } from '../../client/informer.js';
import { matchesSelector } from '../../client/selector.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Logger } from '../../util/log.js';
import { EventRecorder } from '../common/events.js';
import { controllerRef } from '../common/pods.js';
import { selectsEverything, syncDeployment } from './sync.js';
import type { Deployment, DeploymentSyncDeps, ReplicaSet } from './types.js';

export interface ControllerContext {
  cs: Clientset;
  informers: InformerFactory;
  log: Logger;
  now?: () => number;
}

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
    this.dInf.addHandlers({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    this.rsInf.addHandlers({
      onAdd: (rs) => this.onReplicaSetAdd(rs),
      onUpdate: (old, rs) => this.onReplicaSetUpdate(old, rs),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.podInf.addHandlers({ onDelete: (pod) => this.onPodDelete(pod) });
  }

  private enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  /** resolveControllerRef: the Deployment a controller reference names, if it is still that one. */
  private resolve(namespace: string | undefined, ref: any): Deployment | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dInf.cache.getByName(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.resolve(rs.metadata.namespace, controllerRef(rs));
    if (d) this.enqueue(d);
  }

  /** getDeploymentsForReplicaSet: Deployments whose (non-empty) selector matches the labels. */
  private deploymentsSelecting(rs: ReplicaSet): Deployment[] {
    if (!rs.metadata.labels || !Object.keys(rs.metadata.labels).length) return [];
    return this.dInf.cache.list(rs.metadata.namespace).filter((d) => d.spec?.selector && !selectsEverything(d.spec.selector) && matchesSelector(d.spec.selector, rs.metadata.labels));
  }

  private onReplicaSetAdd(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) return this.enqueueOwner(rs);
    if (controllerRef(rs)) return this.enqueueOwner(rs);
    for (const d of this.deploymentsSelecting(rs)) this.enqueue(d);
  }

  private onReplicaSetUpdate(old: ReplicaSet, rs: ReplicaSet): void {
    if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const cur = controllerRef(rs);
    const prev = controllerRef(old);
    const refChanged = JSON.stringify(cur) !== JSON.stringify(prev);
    if (refChanged && prev) {
      const d = this.resolve(old.metadata.namespace, prev);
      if (d) this.enqueue(d);
    }
    if (cur) return this.enqueueOwner(rs);
    if (refChanged || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {})) {
      for (const d of this.deploymentsSelecting(rs)) this.enqueue(d);
    }
  }

  /** getDeploymentForPod: pod -> controlling ReplicaSet -> controlling Deployment. */
  private deploymentForPod(pod: any): Deployment | undefined {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsInf.cache.getByName(pod.metadata.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    return this.resolve(rs.metadata.namespace, controllerRef(rs));
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
