/**
 * The disruption controller: keeps every PodDisruptionBudget's status (currentHealthy,
 * desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods, observedGeneration and
 * the DisruptionAllowed condition) in line with the pods it selects, so the eviction
 * subresource can decide from status alone. Pod events wake the budgets selecting the
 * pod; a budget with pending disruptedPods entries is re-checked when the earliest
 * expires. When the status cannot be computed (a pod whose controller has no scale, for
 * a percent or maxUnavailable budget), the budget fails safe: disruptionsAllowed 0,
 * DisruptionAllowed=False with reason SyncFailed. A second queue clears DisruptionTarget
 * marks that evictions left on pods that were then not deleted (stale-condition.ts).
 */
import { keyOf, splitKey } from '../../client/cache.js';
import { runWorkers, type SyncResult } from '../../client/controller.js';
import { isConflict } from '../../client/rest.js';
import { matchesSelector } from '../../client/selector.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { controllerRef } from '../common/pods.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { scaleSubresourceFinder } from './scale-finder.js';
import { clearedDisruptionCondition, staleDisruptionCondition } from './stale-condition.js';
import { countHealthyPods, disruptedPodMap, expectedPodCount, failSafeStatus, nextStatus, type ScaleFinder } from './budget.js';

export const PDBS = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true } as const;

const isApps = (ref: any, kind: string) => ref.kind === kind && /^(apps|extensions)\//.test(ref.apiVersion ?? '');

export class DisruptionController {
  static readonly NAME = 'disruption-controller';
  readonly queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 30_000 });
  /** Pod keys whose DisruptionTarget mark may go stale. */
  readonly staleQueue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 30_000 });
  private readonly recorder: EventRecorder;
  private readonly finders: ScaleFinder[];

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = new EventRecorder(ctx.cs, DisruptionController.NAME, ctx.log);
    this.finders = this.scaleFinders();
    const pdbInf = ctx.informers.informer(PDBS);
    pdbInf.addHandlers({ onAdd: (p) => this.queue.add(keyOf(p)), onUpdate: (_o, p) => this.queue.add(keyOf(p)), onDelete: (p) => this.queue.add(keyOf(p)) });
    const wake = (pod: any) => {
      const stale = staleDisruptionCondition(pod, this.ctx.now?.() ?? Date.now());
      if (stale.has) this.staleQueue.addAfter(keyOf(pod), stale.waitMs);
      for (const pdb of pdbInf.cache.list(pod.metadata.namespace)) if (matchesSelector(pdb.spec?.selector, pod.metadata.labels)) this.queue.add(keyOf(pdb));
    };
    ctx.informers.informer('pods').addHandlers({
      onAdd: wake,
      onUpdate: (old, pod) => {
        wake(pod);
        if (JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) wake(old);
      },
      onDelete: wake,
    });
    for (const r of ['replicasets', 'deployments', 'statefulsets'] as const) ctx.informers.informer(r);
  }

  /** The finders upstream tries in turn: Deployment (via its ReplicaSet), a ReplicaSet without Deployment, StatefulSet, any scale subresource. */
  private scaleFinders(): ScaleFinder[] {
    const { informers } = this.ctx;
    const rsOf = (ref: any, ns: string) => {
      if (!isApps(ref, 'ReplicaSet')) return undefined;
      const rs = informers.informer('replicasets').cache.getByName(ns, ref.name);
      return rs && rs.metadata.uid === ref.uid ? rs : undefined;
    };
    const deployment: ScaleFinder = (ref, ns) => {
      const rs = rsOf(ref, ns);
      const dref = rs && controllerRef(rs);
      if (!dref || !isApps(dref, 'Deployment')) return undefined;
      const d = informers.informer('deployments').cache.getByName(ns, dref.name);
      return d && d.metadata.uid === dref.uid ? { uid: d.metadata.uid, scale: d.spec?.replicas ?? 1 } : undefined;
    };
    const replicaSet: ScaleFinder = (ref, ns) => {
      const rs = rsOf(ref, ns);
      if (!rs || controllerRef(rs)?.kind === 'Deployment') return undefined;
      return { uid: rs.metadata.uid, scale: rs.spec?.replicas ?? 1 };
    };
    const statefulSet: ScaleFinder = (ref, ns) => {
      if (!isApps(ref, 'StatefulSet')) return undefined;
      const s = informers.informer('statefulsets').cache.getByName(ns, ref.name);
      return s && s.metadata.uid === ref.uid ? { uid: s.metadata.uid, scale: s.spec?.replicas ?? 1 } : undefined;
    };
    return [deployment, replicaSet, statefulSet, scaleSubresourceFinder(this.ctx.cs.rest)];
  }

  private now(): number {
    return this.ctx.now?.() ?? Date.now();
  }

  /** Brings one budget's status up to date (the work queue's reconcile). */
  async syncPdb(key: string): Promise<SyncResult> {
    const { namespace, name } = splitKey(key);
    const pdb = this.ctx.informers.informer(PDBS).cache.getByName(namespace, name);
    if (!pdb) return;
    try {
      return await this.trySync(pdb);
    } catch (err) {
      if (isConflict(err)) throw err;
      this.ctx.log.warn('failed to sync PodDisruptionBudget', { pdb: key, err });
      // Fail safe: an eviction must not be approved from a status we could not compute.
      const status = failSafeStatus(pdb, err, this.now());
      if (JSON.stringify(status) !== JSON.stringify(pdb.status)) await this.ctx.cs.resource(PDBS).updateStatus({ ...pdb, status });
    }
  }

  private async trySync(pdb: any): Promise<SyncResult> {
    const recorder = this.recorder;
    const pods = this.ctx.informers.informer('pods').cache.list(pdb.metadata.namespace).filter((p) => matchesSelector(pdb.spec?.selector, p.metadata.labels));
    if (!pods.length) recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let count;
    try {
      count = await expectedPodCount(pdb, pods, this.finders);
    } catch (err) {
      recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(err as Error).message}`);
      throw err;
    }
    if (count.unmanagedPods.length) {
      recorder.event(pdb, 'Warning', 'UnmanagedPods', `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
    }
    const t = this.now();
    const { disruptedPods, recheckAt, notDeleted } = disruptedPodMap(pdb, pods, t);
    // Upstream's message names the namespace twice (namespace/namespace); kept as it prints.
    for (const pod of notDeleted) recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.namespace} to be deleted but it wasn't`);
    const status = nextStatus(pdb, { currentHealthy: countHealthyPods(pods, disruptedPods, t), desiredHealthy: count.desiredHealthy, expectedPods: count.expectedCount, disruptedPods }, t);
    if (status) await this.ctx.cs.resource(PDBS).updateStatus({ ...pdb, status });
    return recheckAt !== undefined ? { requeueAfterMs: Math.max(0, recheckAt - t) } : undefined;
  }

  /** Resets a pod's DisruptionTarget mark once it is stale (the stale-pod queue's reconcile). */
  async syncStalePod(key: string): Promise<SyncResult> {
    const pod = this.ctx.informers.informer('pods').cache.get(key);
    if (!pod) return;
    const stale = staleDisruptionCondition(pod, this.now());
    if (!stale.has) return;
    if (stale.waitMs > 0) return { requeueAfterMs: stale.waitMs };
    await this.ctx.cs.resource('pods').updateStatus(clearedDisruptionCondition(pod, this.now()));
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    await Promise.all(([PDBS, 'pods', 'replicasets', 'deployments', 'statefulsets'] as const).map((r) => informers.informer(r).waitForSync(signal)));
    await Promise.all([
      runWorkers({ name: DisruptionController.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => this.syncPdb(key) }),
      runWorkers({ name: `${DisruptionController.NAME}/stale-pod-disruption`, queue: this.staleQueue, workers: 1, log, signal, sync: (key) => this.syncStalePod(key) }),
    ]);
  }
}
