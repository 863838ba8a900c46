/**
 * The pod garbage collector (kube-controller-manager's podgc): every period (20 s
 * upstream) it reads pods and nodes from the informer caches and force-deletes (grace 0)
 * terminated pods over --terminated-pod-gc-threshold, terminating pods on out-of-service
 * nodes, terminating pods never scheduled, and pods bound to a node that no longer
 * exists. A node is believed gone only after it has been missing from the cache for the
 * quarantine (40 s upstream) and a GET from the API answers 404. Before deleting a pod
 * that is not terminal it is marked Failed (the orphans with a DisruptionTarget
 * condition, reason DeletionByPodGC), since no kubelet is left to report its end.
 */
import { sleep } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import { isAbort } from '../../client/errors.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { OrphanQuarantine, terminatedOverThreshold, terminatingOutOfService, unscheduledTerminating } from './select.js';

export interface PodGcOptions {
  /** kube-controller-manager's --terminated-pod-gc-threshold (default 12500; 0 or less: never). */
  terminatedPodGcThreshold: number;
  /** How often the collector runs (upstream's gcCheckPeriod, 20 s). */
  periodMs: number;
  /** How long a node must be missing from the cache before it is looked up (upstream's quarantineTime, 40 s). */
  quarantineMs: number;
}

export const DEFAULT_POD_GC: PodGcOptions = { terminatedPodGcThreshold: 12500, periodMs: 20_000, quarantineMs: 40_000 };

/** The condition an orphaned pod gets before it is deleted (upstream's wording). */
export const ORPHAN_CONDITION = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class PodGcController {
  static readonly NAME = 'pod-garbage-collector';
  private readonly o: PodGcOptions;
  private readonly quarantine: OrphanQuarantine;

  constructor(
    private readonly ctx: ControllerContext,
    o: Partial<PodGcOptions> = {},
  ) {
    this.o = { ...DEFAULT_POD_GC, ...o };
    this.quarantine = new OrphanQuarantine(this.o.quarantineMs);
    // Registered now, so that the shared factory lists and watches them from its start.
    ctx.informers.informer('pods');
    ctx.informers.informer('nodes');
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    await Promise.all([informers.informer('pods').waitForSync(signal), informers.informer('nodes').waitForSync(signal)]);
    while (!signal.aborted) {
      try {
        await this.gc();
      } catch (err) {
        if (isAbort(err, signal)) return;
        log.error('pod garbage collection failed', { controller: PodGcController.NAME, err });
      }
      await sleep(this.o.periodMs, signal).catch(() => {});
    }
  }

  /** One pass (upstream's gc): terminated, terminating out of service, orphaned, unscheduled terminating. */
  async gc(): Promise<void> {
    const { informers } = this.ctx;
    const pods = informers.informer('pods').cache.list();
    const nodes = informers.informer('nodes').cache;
    const now = (this.ctx.now ?? Date.now)();
    await this.deleteAll(terminatedOverThreshold(pods, this.o.terminatedPodGcThreshold), 'terminated');
    await this.deleteAll(terminatingOutOfService(pods, (n) => nodes.get(n)), 'terminating on an out-of-service node');
    await this.gcOrphaned(pods, (n) => nodes.get(n) !== undefined, now);
    await this.deleteAll(unscheduledTerminating(pods), 'terminating and never scheduled');
  }

  private async gcOrphaned(pods: readonly any[], nodeExists: (name: string) => boolean, now: number): Promise<void> {
    const gone = new Set<string>();
    for (const name of this.quarantine.due(pods, nodeExists, now)) {
      this.quarantine.forget(name);
      // The cache may lag behind: only the API's 404 says the node is really gone.
      try {
        await this.ctx.cs.resource('nodes').get(undefined, name);
      } catch (err) {
        if (isNotFound(err)) gone.add(name);
        else this.ctx.log.warn('could not look up node', { controller: PodGcController.NAME, node: name, err });
      }
    }
    const orphans = pods.filter((p) => gone.has(p.spec?.nodeName));
    await this.deleteAll(orphans, 'orphaned: its node no longer exists', ORPHAN_CONDITION);
  }

  private async deleteAll(pods: any[], why: string, condition?: typeof ORPHAN_CONDITION): Promise<void> {
    // A few at a time, as upstream's goroutine per pod but bounded.
    for (let i = 0; i < pods.length; i += 16) {
      await Promise.all(
        pods.slice(i, i + 16).map((p) =>
          this.markFailedAndDelete(p, condition).then(
            () => this.ctx.log.info('PodGC force-deleted pod', { controller: PodGcController.NAME, pod: `${p.metadata.namespace}/${p.metadata.name}`, node: p.spec?.nodeName, why }),
            (err) => {
              if (!isNotFound(err)) this.ctx.log.warn('PodGC could not delete pod', { controller: PodGcController.NAME, pod: `${p.metadata.namespace}/${p.metadata.name}`, why, err });
            },
          ),
        ),
      );
    }
  }

  /**
   * Upstream's markFailedAndDeletePodWithCondition: a pod not yet Succeeded or Failed is
   * patched to Failed first (an orphan would otherwise stay Running forever, with no
   * kubelet to say otherwise), then deleted with grace 0. The patch names the pod's uid,
   * so a new pod of the same name is never touched.
   */
  private async markFailedAndDelete(pod: any, condition?: typeof ORPHAN_CONDITION): Promise<void> {
    const pods = this.ctx.cs.resource('pods');
    const { namespace, name, uid } = pod.metadata;
    const phase = pod.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      const status: any = { phase: 'Failed' };
      if (condition) {
        const old = (pod.status?.conditions ?? []).find((c: any) => c.type === condition.type);
        const changed = !old || old.status !== condition.status;
        const at = changed ? rfc3339((this.ctx.now ?? Date.now)()) : old.lastTransitionTime;
        status.conditions = [{ ...condition, lastProbeTime: null, lastTransitionTime: at }];
      }
      await pods.patch(namespace, name, 'strategic', { metadata: { uid }, status }, { subresource: 'status' });
    }
    await pods.delete(namespace, name, { gracePeriodSeconds: 0, preconditions: { uid } });
  }
}
