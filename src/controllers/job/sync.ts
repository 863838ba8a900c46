/**
 * syncJob (upstream's job controller): run pods until `completions` succeed (Indexed:
 * one success per index), never more than `parallelism` at once; count terminated pods
 * exactly once through the batch.kubernetes.io/job-tracking finalizer and
 * status.uncountedTerminatedPods; recreate failed pods with exponential back-off
 * (10 s doubling, capped at 6 min); fail on backoffLimit, podFailurePolicy, per-index
 * limits or activeDeadlineSeconds; honour suspend. Conditions and counts are what
 * `kubectl get/describe job` show.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isNotFound, isConflict } from '../../client/rest.js';
import type { EventRecorder } from '../common/events.js';
import { isPodReady, podFromTemplate } from '../common/pods.js';
import { matchFailurePolicy } from './failure-policy.js';
import { formatIndexes, INDEX_ANNOTATION, indexOf, parseIndexes } from './indexes.js';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 6 * 60_000;

export interface JobSyncDeps {
  pods: ResourceClient;
  jobs: ResourceClient;
  listPods: (ns: string) => any[];
  recorder: EventRecorder;
  now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const isFinished = (job: any) => (job.status?.conditions ?? []).some((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
const terminal = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Delay before a replacement pod after `failures` failures: 10s, 20s, 40s, ... ≤ 6 min. */
export function backoffDelay(failures: number): number {
  return failures <= 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
}

function cond(type: string, reason: string, message: string, now: number): any {
  return { type, status: 'True', reason, message, lastProbeTime: iso(now), lastTransitionTime: iso(now) };
}

export async function syncJob(d: JobSyncDeps, job: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!job) return;
  const now = d.now();
  const ns = job.metadata.namespace;
  const uid = job.metadata.uid;
  const pods = d.listPods(ns).filter((p) => (p.metadata.ownerReferences ?? []).some((r: any) => r.uid === uid && r.controller));
  const status: any = structuredClone(job.status ?? {});
  status.succeeded ??= 0;
  status.failed ??= 0;
  const indexed = job.spec.completionMode === 'Indexed';
  const completions: number | undefined = job.spec.completions ?? undefined;
  const parallelism: number = job.spec.parallelism ?? 1;
  const completed = parseIndexes(status.completedIndexes);
  const failedIdx = parseIndexes(status.failedIndexes);
  let failJob: { reason: string; message: string } | undefined;

  // 1. Count pods that ended (or vanished while running) exactly once, in upstream's
  // three steps: record their uids in uncountedTerminatedPods, remove their tracking
  // finalizers, then move them from the uncounted lists into the counters.
  const unc = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
  const recorded = new Set([...unc.succeeded, ...unc.failed]);
  const ended = pods.filter((p) => (p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER) && (terminal(p) || p.metadata.deletionTimestamp));
  const fresh = ended.filter((p) => !recorded.has(p.metadata.uid));
  // Back-off runs from the last failure seen on a pod (upstream reads pod finish times).
  let lastFailure = lastPodFailure(pods);
  if (fresh.length) {
    for (const p of fresh) (p.status?.phase === 'Succeeded' ? unc.succeeded : unc.failed).push(p.metadata.uid);
    status.uncountedTerminatedPods = unc;
    job = await writeStatus(d, job, status);
    if (!job) return;
  }
  const byUid = new Map(pods.map((p) => [p.metadata.uid, p]));
  await Promise.all([...unc.succeeded, ...unc.failed].map((u) => byUid.get(u)).filter((p) => p && (p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)).map((p) => removeFinalizer(d, p)));
  if (unc.succeeded.length || unc.failed.length) {
    for (const u of unc.succeeded) {
      const idx = indexOf(byUid.get(u) ?? {});
      if (indexed && idx !== undefined) {
        if (!completed.has(idx)) status.succeeded++;
        completed.add(idx);
      } else if (!indexed) status.succeeded++;
    }
    for (const u of unc.failed) {
      const p = byUid.get(u);
      const rule = p?.status?.phase === 'Failed' ? matchFailurePolicy(job.spec.podFailurePolicy, p) : undefined;
      if (rule?.action === 'Ignore') continue;
      if (rule?.action === 'FailJob') failJob = { reason: 'PodFailurePolicy', message: rule.message };
      status.failed++;
      lastFailure = Math.max(lastFailure, p ? lastPodFailure([p]) || now : now);
      const idx = p ? indexOf(p) : undefined;
      if (indexed && idx !== undefined && (rule?.action === 'FailIndex' || (job.spec.backoffLimitPerIndex !== undefined && countIndexFailures(pods, idx) > job.spec.backoffLimitPerIndex))) failedIdx.add(idx);
    }
    status.uncountedTerminatedPods = {};
    if (indexed) status.completedIndexes = formatIndexes(completed);
    if (job.spec.backoffLimitPerIndex !== undefined) status.failedIndexes = formatIndexes(failedIdx);
    job = await writeStatus(d, job, status);
    if (!job) return;
  }

  const active = pods.filter((p) => !terminal(p) && !p.metadata.deletionTimestamp);
  if (isFinished(job)) {
    await Promise.all(pods.filter((p) => (p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER) && !ended.includes(p)).map((p) => removeFinalizer(d, p)));
    return;
  }
  if (!status.startTime && !job.spec.suspend) status.startTime = iso(now);

  // 2. Failure.
  const backoffLimit = job.spec.backoffLimit ?? 6;
  if (!failJob && job.spec.backoffLimitPerIndex === undefined && status.failed > backoffLimit) failJob = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  if (!failJob && job.spec.maxFailedIndexes !== undefined && failedIdx.size > job.spec.maxFailedIndexes) failJob = { reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
  const deadline = job.spec.activeDeadlineSeconds;
  if (!failJob && deadline !== undefined && status.startTime && now - Date.parse(status.startTime) >= deadline * 1000) failJob = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  if (!failJob && indexed && completions !== undefined && failedIdx.size && completed.size + failedIdx.size >= completions) failJob = { reason: 'FailedIndexes', message: 'Job has failed indexes' };
  if (failJob) {
    await Promise.all(active.map((p) => deletePod(d, p)));
    status.conditions = [...(status.conditions ?? []).filter((c: any) => c.type !== 'FailureTarget' && c.type !== 'Failed'), cond('FailureTarget', failJob.reason, failJob.message, now), cond('Failed', failJob.reason, failJob.message, now)];
    status.active = 0;
    status.ready = 0;
    d.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, 'Warning', failJob.reason, failJob.message);
    await writeStatus(d, job, status);
    return;
  }

  // 3. Success.
  const done = indexed ? completed.size >= (completions ?? 1) : completions !== undefined ? status.succeeded >= completions : status.succeeded > 0 && active.length === 0;
  if (done) {
    await Promise.all(active.map((p) => deletePod(d, p)));
    const msg = 'Reached expected number of succeeded pods';
    status.conditions = [...(status.conditions ?? []).filter((c: any) => c.type !== 'SuccessCriteriaMet' && c.type !== 'Complete'), cond('SuccessCriteriaMet', 'CompletionsReached', msg, now), cond('Complete', 'CompletionsReached', msg, now)];
    status.completionTime = iso(now);
    status.active = 0;
    status.ready = 0;
    d.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, 'Normal', 'Completed', 'Job completed');
    await writeStatus(d, job, status);
    return;
  }

  // 4. Suspend, or keep the right number of pods running.
  let requeue: number | undefined;
  if (job.spec.suspend) {
    await Promise.all(active.map((p) => deletePod(d, p)));
    if (!(status.conditions ?? []).some((c: any) => c.type === 'Suspended' && c.status === 'True')) {
      status.conditions = [...(status.conditions ?? []).filter((c: any) => c.type !== 'Suspended'), cond('Suspended', 'JobSuspended', 'Job suspended', now)];
    }
  } else {
    status.conditions = (status.conditions ?? []).map((c: any) => (c.type === 'Suspended' && c.status === 'True' ? { ...c, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastTransitionTime: iso(now) } : c));
    const wait = lastFailure ? lastFailure + backoffDelay(status.failed) - now : 0;
    if (wait > 0) requeue = wait;
    else await reconcileActive(d, job, active, { indexed, completions, parallelism, succeeded: status.succeeded, completed, failedIdx });
  }
  if (deadline !== undefined && status.startTime) {
    const left = Date.parse(status.startTime) + deadline * 1000 - now;
    requeue = requeue === undefined ? left : Math.min(requeue, left);
  }
  status.active = active.length;
  status.ready = active.filter(isPodReady).length;
  status.terminating = pods.filter((p) => p.metadata.deletionTimestamp && !terminal(p)).length;
  await writeStatus(d, job, status);
  return requeue !== undefined ? { requeueAfterMs: Math.max(10, requeue) } : undefined;
}

function lastPodFailure(pods: any[]): number {
  let t = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Failed') continue;
    for (const c of p.status?.containerStatuses ?? []) {
      const f = c.state?.terminated?.finishedAt;
      if (f) t = Math.max(t, Date.parse(f));
    }
  }
  return t;
}

function countIndexFailures(pods: any[], idx: number): number {
  return pods.filter((p) => indexOf(p) === idx && p.status?.phase === 'Failed').length;
}

interface ActivePlan {
  indexed: boolean;
  completions?: number;
  parallelism: number;
  succeeded: number;
  completed: Set<number>;
  failedIdx: Set<number>;
}

async function reconcileActive(d: JobSyncDeps, job: any, active: any[], o: ActivePlan): Promise<void> {
  let want: number;
  const newPods: (number | undefined)[] = [];
  if (o.indexed) {
    const running = new Set(active.map(indexOf));
    const pending: number[] = [];
    for (let i = 0; i < (o.completions ?? 1); i++) if (!o.completed.has(i) && !o.failedIdx.has(i) && !running.has(i)) pending.push(i);
    want = Math.min(o.parallelism, active.length + pending.length);
    newPods.push(...pending.slice(0, Math.max(0, want - active.length)));
  } else {
    // Without completions (a work queue), no new pods once one has succeeded.
    const remaining = o.completions !== undefined ? o.completions - o.succeeded : o.succeeded > 0 ? 0 : o.parallelism;
    want = Math.min(o.parallelism, Math.max(0, remaining));
    for (let i = active.length; i < want; i++) newPods.push(undefined);
  }
  if (active.length > want) {
    const newestFirst = [...active].sort((a, b) => Date.parse(b.metadata.creationTimestamp) - Date.parse(a.metadata.creationTimestamp));
    await Promise.all(newestFirst.slice(0, active.length - want).map((p) => deletePod(d, p)));
  }
  const owner = { apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata };
  await Promise.all(
    newPods.map(async (idx) => {
      const pod = podFromTemplate(job.spec.template, owner);
      pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), TRACKING_FINALIZER];
      if (idx !== undefined) {
        pod.metadata.generateName = `${job.metadata.name}-${idx}-`;
        pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [INDEX_ANNOTATION]: String(idx) };
        pod.metadata.labels = { ...pod.metadata.labels, [INDEX_ANNOTATION]: String(idx) };
        if (pod.spec.subdomain) pod.spec.hostname = `${job.metadata.name}-${idx}`;
        for (const c of [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]) {
          c.env = [...(c.env ?? []).filter((e: any) => e.name !== 'JOB_COMPLETION_INDEX'), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${INDEX_ANNOTATION}']` } } }];
        }
      }
      const created = await d.pods.create(pod);
      d.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }),
  );
}

async function deletePod(d: JobSyncDeps, p: any): Promise<void> {
  try {
    await d.pods.delete(p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}

async function removeFinalizer(d: JobSyncDeps, p: any): Promise<void> {
  try {
    await d.pods.patch(p.metadata.namespace, p.metadata.name, 'merge', { metadata: { finalizers: (p.metadata.finalizers ?? []).filter((f: string) => f !== TRACKING_FINALIZER), resourceVersion: p.metadata.resourceVersion } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function writeStatus(d: JobSyncDeps, job: any, status: any): Promise<any | undefined> {
  for (const k of Object.keys(status)) if (status[k] === undefined) delete status[k];
  if (JSON.stringify(status) === JSON.stringify(job.status ?? {})) return job;
  try {
    return await d.jobs.updateStatus({ ...job, status });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
