/**
 * The HorizontalPodAutoscaler controller (kube-controller-manager's
 * horizontal-pod-autoscaler): every sync period (--horizontal-pod-autoscaler-sync-period,
 * 15 s) each HPA reads its target's scale subresource, computes a replica proposal per
 * metric from the Resource Metrics API (metrics.k8s.io) and takes the highest, stabilizes
 * and rate-limits it (normalize.ts), writes the new scale, and reports status:
 * currentReplicas, desiredReplicas, currentMetrics, lastScaleTime and the conditions
 * AbleToScale, ScalingActive and ScalingLimited with upstream's reasons; events
 * SuccessfulRescale, FailedGetScale, FailedRescale, FailedGetResourceMetric,
 * FailedComputeMetricsReplicas. Resource and ContainerResource metrics are supported
 * (Utilization and AverageValue); Pods, Object and External need a custom/external
 * metrics API, which skiff does not serve: they are reported as failed metrics.
 */
import { keyOf, splitKey } from '../../client/cache.js';
import { runWorkers, type SyncResult } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { computeReplicasForMetrics, MetricsError, type MetricsContext } from './metrics.js';
import { HpaMemory, normalize, normalizeWithBehavior, recordScaleEvent } from './normalize.js';
import { ScaleTargets } from './scale-target.js';
import { setCondition, type Condition } from './status.js';

export const HPAS = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true } as const;

export interface HpaOptions {
  syncPeriodMs: number;
  downscaleStabilizationMs: number;
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

export const HPA_DEFAULTS: HpaOptions = { syncPeriodMs: 15_000, downscaleStabilizationMs: 300_000, tolerance: 0.1, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000 };

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** setStatus: the status is rebuilt from these (lastScaleTime and conditions kept), as upstream does. */
function setStatus(status: any, currentReplicas: number, desiredReplicas: number, metrics: any[]): void {
  for (const k of Object.keys(status)) if (k !== 'lastScaleTime' && k !== 'conditions') delete status[k];
  // currentReplicas is omitempty in autoscaling/v2, desiredReplicas is not.
  if (currentReplicas) status.currentReplicas = currentReplicas;
  status.desiredReplicas = desiredReplicas;
  if (metrics.length) status.currentMetrics = metrics;
}

export class HorizontalPodAutoscalerController {
  static readonly NAME = 'horizontal-pod-autoscaler';
  readonly queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 30_000 });
  private readonly o: HpaOptions;
  private readonly recorder: EventRecorder;
  private readonly scales: ScaleTargets;
  private readonly memory = new Map<string, HpaMemory>();
  /** The selector each HPA's target had at its last sync (upstream's hpaSelectors). */
  private readonly selectors = new Map<string, { namespace: string; match: (labels: Record<string, string>) => boolean }>();
  /** Keys waiting for their next sync. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    o: Partial<HpaOptions> = {},
  ) {
    this.o = { ...HPA_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
    this.recorder = new EventRecorder(ctx.cs, HorizontalPodAutoscalerController.NAME, ctx.log);
    this.scales = new ScaleTargets(ctx.cs.rest);
    ctx.informers.informer(HPAS).addHandlers({
      onAdd: (h) => this.enqueue(keyOf(h)),
      onUpdate: (_o, h) => this.enqueue(keyOf(h)),
      onDelete: (h) => {
        this.memory.delete(keyOf(h));
        this.selectors.delete(keyOf(h));
      },
    });
    ctx.informers.informer('pods');
  }

  private now(): number {
    return this.ctx.now?.() ?? Date.now();
  }

  /**
   * As upstream's enqueueHPA: every request waits one sync period in the queue, and one
   * already waiting absorbs later ones, so each HPA is reconciled once per period (a new
   * HPA too: its first status comes after one period), whatever its update events.
   */
  private enqueue(key: string): void {
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.queue.addAfter(key, this.o.syncPeriodMs);
  }

  /** One HPA: reconcile, then come back after the sync period (upstream's resync). */
  async syncHpa(key: string): Promise<SyncResult> {
    this.pending.delete(key);
    const { namespace, name } = splitKey(key);
    const cached = this.ctx.informers.informer(HPAS).cache.getByName(namespace, name);
    if (!cached) {
      this.memory.delete(key);
      this.selectors.delete(key);
      return;
    }
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', ...structuredClone(cached) };
    try {
      await this.reconcile(key, hpa);
    } catch (err) {
      if (isConflict(err)) throw err;
      // Expected failures (no metrics yet, no target) are in the HPA's conditions and events already.
      if (err instanceof MetricsError) this.ctx.log.debug('HorizontalPodAutoscaler not reconciled', { hpa: key, err: err.message });
      else this.ctx.log.warn('failed to reconcile HorizontalPodAutoscaler', { hpa: key, err });
    }
    this.enqueue(key);
  }

  private async writeStatus(hpa: any, before: string): Promise<void> {
    if (JSON.stringify(hpa.status) === before) return;
    try {
      await this.ctx.cs.resource(HPAS).updateStatus(hpa);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async reconcile(key: string, hpa: any): Promise<void> {
    const now = this.now();
    const before = JSON.stringify(hpa.status ?? {});
    const status = (hpa.status ??= {});
    const conditions: Condition[] = (status.conditions ??= []);
    const cond = (type: string, s: 'True' | 'False', reason: string, message: string) => setCondition(conditions, { type, status: s, reason, message }, now);
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind}/${ref.name}`;
    let scale: any;
    try {
      scale = await this.scales.get(ref, hpa.metadata.namespace);
    } catch (err) {
      const msg = (err as Error).message;
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
      cond('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      await this.writeStatus(hpa, before);
      throw new MetricsError(`failed to query scale subresource for ${reference}: ${msg}`);
    }
    cond('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const currentReplicas: number = scale.spec?.replicas ?? 0;
    const minReplicas: number = spec.minReplicas ?? 1;
    const maxReplicas: number = spec.maxReplicas;
    let mem = this.memory.get(key);
    if (!mem) {
      this.memory.set(key, (mem = new HpaMemory()));
      // As upstream, the current size is the first recommendation: no scale-down right after a (re)start.
      mem.recommendations.push({ at: now, replicas: currentReplicas });
    }
    let desired = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: any[] = [];
    if (currentReplicas === 0 && minReplicas !== 0) {
      rescale = false;
      cond('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const mctx: MetricsContext = { rest: this.ctx.cs.rest, pods: (ns) => this.ctx.informers.informer('pods').cache.list(ns), recorder: this.recorder, hpasSelecting: (h, match, pods) => this.hpasSelecting(key, h.metadata.namespace, match, pods), calc: { tolerance: this.o.tolerance, cpuInitializationPeriodMs: this.o.cpuInitializationPeriodMs, initialReadinessDelayMs: this.o.initialReadinessDelayMs, now } };
      const r = await computeReplicasForMetrics(mctx, hpa, scale, currentReplicas);
      metricStatuses = r.statuses;
      if (r.error) {
        // No proposal: status keeps desiredReplicas and lastScaleTime (setCurrentReplicasAndMetricsInStatus).
        cond('ScalingActive', 'False', r.error.reason, r.error.message);
        setStatus(status, currentReplicas, status.desiredReplicas ?? 0, metricStatuses);
        await this.writeStatus(hpa, before);
        this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', r.error.err.message);
        throw new MetricsError(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${r.error.err.message}`);
      }
      cond('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${r.metricName}`);
      const proposed = r.replicas!;
      // The reason names the proposal, before stabilization and limits (as upstream).
      if (proposed > currentReplicas) rescaleReason = `${r.metricName} above target`;
      if (proposed < currentReplicas) rescaleReason = 'All metrics below target';
      const outcome = spec.behavior
        ? normalizeWithBehavior(mem, { current: currentReplicas, proposed, min: minReplicas, max: maxReplicas, now, behavior: spec.behavior, downscaleWindowMs: this.o.downscaleStabilizationMs })
        : normalize(mem, { current: currentReplicas, proposed, min: minReplicas, max: maxReplicas, now, downscaleWindowMs: this.o.downscaleStabilizationMs });
      cond('AbleToScale', 'True', outcome.ableToScale.reason, outcome.ableToScale.message);
      cond('ScalingLimited', outcome.scalingLimited.status, outcome.scalingLimited.reason, outcome.scalingLimited.message);
      desired = outcome.replicas;
      rescale = desired !== currentReplicas;
    }
    if (rescale) {
      try {
        await this.scales.update(ref, hpa.metadata.namespace, scale, desired);
      } catch (err) {
        const msg = (err as Error).message;
        this.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${rescaleReason}; error: ${msg}`);
        cond('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        setStatus(status, currentReplicas, status.desiredReplicas ?? 0, metricStatuses);
        await this.writeStatus(hpa, before);
        throw err;
      }
      cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`);
      recordScaleEvent(mem, spec.behavior, currentReplicas, desired, now);
      this.ctx.log.info('scaled target', { hpa: key, target: reference, from: currentReplicas, to: desired, reason: rescaleReason });
      status.lastScaleTime = rfc3339(now);
    } else desired = currentReplicas;
    setStatus(status, currentReplicas, desired, metricStatuses);
    await this.writeStatus(hpa, before);
  }

  /** Records key's selector; the HPAs (as Go prints selectors.Key: {name namespace}) whose selectors take any of pods. */
  private hpasSelecting(key: string, namespace: string, match: (labels: Record<string, string>) => boolean, pods: any[]): string[] {
    this.selectors.set(key, { namespace, match });
    const out: string[] = [];
    for (const [k, s] of this.selectors) {
      if (s.namespace !== namespace || !pods.some((p) => s.match(p.metadata.labels ?? {}))) continue;
      const { name } = splitKey(k);
      out.push(`{${name} ${namespace}}`);
    }
    return out.sort();
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    await Promise.all([informers.informer(HPAS).waitForSync(signal), informers.informer('pods').waitForSync(signal)]);
    await runWorkers({ name: HorizontalPodAutoscalerController.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => this.syncHpa(key) });
  }
}
