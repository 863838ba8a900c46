/**
 * syncReplicaSet: keep `spec.replicas` active pods matching the selector. Creates go out
 * in slow-start batches (1, 2, 4, ... as upstream, so a broken template fails fast),
 * guarded by expectations; scale-down deletes the best-ranked pods first. Status
 * (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration)
 * is written through the status subresource.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isNotFound } from '../../client/rest.js';
import { keyOf } from '../../client/cache.js';
import type { Expectations } from '../common/expectations.js';
import type { EventRecorder } from '../common/events.js';
import { claimObjects } from '../common/claim.js';
import { isPodActive, isPodAvailable, isPodReady, podFromTemplate } from '../common/pods.js';
import { rankForDeletion } from './ranking.js';

/** Upstream's burstReplicas: at most this many creates/deletes per sync. */
export const BURST_REPLICAS = 500;
const SLOW_START_INITIAL_BATCH = 1;

export interface RsSyncDeps {
  pods: ResourceClient;
  replicasets: ResourceClient;
  listPods: (namespace: string) => any[];
  expectations: Expectations;
  recorder: EventRecorder;
  now: () => number;
}

export async function syncReplicaSet(d: RsSyncDeps, key: string, rs: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!rs) {
    d.expectations.delete(key);
    return;
  }
  const needsSync = d.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
  const selector = rs.spec?.selector ?? {};
  const candidates = d.listPods(rs.metadata.namespace).filter(isPodActive);
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: rs.metadata };
  const pods = await claimObjects({ owner, selector, client: d.pods, candidates });

  let manageError: unknown;
  if (needsSync) {
    try {
      await manageReplicas(d, key, rs, pods, candidates);
    } catch (err) {
      manageError = err;
    }
  }
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const status = computeStatus(rs, pods, minReady, d.now(), manageError);
  await writeStatus(d, rs, status);
  if (manageError) throw manageError;
  if (minReady > 0 && status.readyReplicas !== status.availableReplicas) return { requeueAfterMs: minReady * 1000 };
}

async function manageReplicas(d: RsSyncDeps, key: string, rs: any, pods: any[], related: any[]): Promise<void> {
  const want = rs.spec?.replicas ?? 1;
  const diff = pods.length - want;
  if (diff < 0) {
    const n = Math.min(-diff, BURST_REPLICAS);
    d.expectations.expectCreations(key, n);
    const template = podFromTemplate(rs.spec.template, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: rs.metadata });
    let created = 0;
    let batch = SLOW_START_INITIAL_BATCH;
    while (created < n) {
      const size = Math.min(batch, n - created);
      const results = await Promise.allSettled(Array.from({ length: size }, () => d.pods.create(structuredClone(template))));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      created += size;
      if (failed.length) {
        // Creates we skip (and the failed ones) will never be observed.
        for (let i = 0; i < failed.length + (n - created); i++) d.expectations.creationFailed(key);
        d.recorder.event({ ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }, 'Warning', 'FailedCreate', `Error creating: ${(failed[0].reason as Error)?.message ?? failed[0].reason}`);
        throw failed[0].reason;
      }
      for (const r of results) if (r.status === 'fulfilled') d.recorder.event({ ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }, 'Normal', 'SuccessfulCreate', `Created pod: ${(r.value as any).metadata.name}`);
      batch *= 2;
    }
  } else if (diff > 0) {
    const n = Math.min(diff, BURST_REPLICAS);
    const victims = rankForDeletion(pods, related).slice(0, n);
    d.expectations.expectDeletions(key, victims.map(keyOf));
    await Promise.all(
      victims.map(async (p) => {
        try {
          await d.pods.delete(p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
          d.recorder.event({ ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (err) {
          d.expectations.deletionObserved(key, keyOf(p));
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }
}

export function computeStatus(rs: any, pods: any[], minReadySeconds: number, now: number, manageError?: unknown): any {
  const tplLabels = rs.spec?.template?.metadata?.labels ?? {};
  let fully = 0,
    ready = 0,
    available = 0;
  for (const p of pods) {
    const l = p.metadata?.labels ?? {};
    if (Object.entries(tplLabels).every(([k, v]) => l[k] === v)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReadySeconds, now)) available++;
    }
  }
  const conditions = (rs.status?.conditions ?? []).filter((c: any) => c.type !== 'ReplicaFailure');
  if (manageError) {
    const t = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    conditions.push({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: String((manageError as Error).message ?? manageError), lastTransitionTime: t });
  }
  const status: any = { replicas: pods.length, fullyLabeledReplicas: fully, readyReplicas: ready, availableReplicas: available, observedGeneration: rs.metadata.generation };
  if (conditions.length) status.conditions = conditions;
  return status;
}

async function writeStatus(d: RsSyncDeps, rs: any, status: any): Promise<void> {
  const cur = rs.status ?? {};
  const same =
    (cur.replicas ?? 0) === status.replicas &&
    (cur.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
    (cur.readyReplicas ?? 0) === status.readyReplicas &&
    (cur.availableReplicas ?? 0) === status.availableReplicas &&
    cur.observedGeneration === status.observedGeneration &&
    JSON.stringify(cur.conditions ?? []) === JSON.stringify(status.conditions ?? []);
  if (same) return;
  try {
    await d.replicasets.updateStatus({ ...rs, status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
