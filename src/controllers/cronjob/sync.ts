/**
 * syncCronJob (upstream's cronjob controller v2): keep status.active true to the Jobs
 * that exist, start the Job for the most recent due schedule time (once: its name is
 * derived from the time), honour suspend, startingDeadlineSeconds and
 * concurrencyPolicy, prune finished Jobs past the history limits, and ask to be woken
 * at the next schedule time. Missed schedules after downtime start at most one Job.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound, isConflict } from '../../client/rest.js';
import type { EventRecorder } from '../common/events.js';
import { parseSchedule, type Schedule } from '../../util/cron.js';
import { jobNameFor, mostRecentScheduleTime, rfc3339In } from './schedule.js';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJobSyncDeps {
  jobs: ResourceClient;
  cronjobs: ResourceClient;
  listJobs: (ns: string) => any[];
  /** A Job not in the informer's cache yet may still exist: read it from the API. */
  getJob: (ns: string, name: string) => Promise<any | undefined>;
  recorder: EventRecorder;
  now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const finishedCondition = (job: any) => (job.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
const ownedBy = (job: any, uid: string) => (job.metadata.ownerReferences ?? []).some((r: any) => r.controller && r.uid === uid);

function objectRef(job: any): any {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

/** The Job for one scheduled time: the template's labels, annotations and spec, owned by the CronJob. */
export function jobFromTemplate(cj: any, scheduledMs: number): any {
  const tmpl = cj.spec.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj.metadata.name, scheduledMs),
      namespace: cj.metadata.namespace,
      labels: { ...(tmpl.metadata?.labels ?? {}) },
      annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: rfc3339In(scheduledMs, cj.spec.timeZone) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(tmpl.spec ?? {}),
  };
}

export async function syncCronJob(d: CronJobSyncDeps, cj: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!cj) return;
  const now = d.now();
  const ns = cj.metadata.namespace;
  const ref = { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' };
  const jobs = d.listJobs(ns).filter((j) => ownedBy(j, cj.metadata.uid));
  const status: any = structuredClone(cj.status ?? {});
  const before = JSON.stringify(status);
  let active: any[] = status.active ?? [];

  // 1. Reconcile status.active with the Jobs that exist.
  const byUid = new Map(jobs.map((j) => [j.metadata.uid, j]));
  for (const j of jobs) {
    const fin = finishedCondition(j);
    const listed = active.some((a) => a.uid === j.metadata.uid);
    if (!fin && !listed && !j.metadata.deletionTimestamp) active = [...active, objectRef(j)];
    if (fin && listed) {
      active = active.filter((a) => a.uid !== j.metadata.uid);
      d.recorder.event(ref, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${fin.type}`);
    }
    if (fin?.type === 'Complete') {
      const done = Date.parse(j.status?.completionTime ?? fin.lastTransitionTime);
      if (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < done) status.lastSuccessfulTime = iso(done);
    }
  }
  const kept: any[] = [];
  for (const a of active) {
    if (byUid.has(a.uid)) {
      kept.push(a);
      continue;
    }
    // Not in the cache: either just created (cache lag) or really gone.
    const live = await d.getJob(ns, a.name);
    if (live && live.metadata.uid === a.uid) kept.push(a);
    else d.recorder.event(ref, 'Normal', 'MissingJob', `Active job went missing: ${a.name}`);
  }
  active = kept;
  status.active = active.length ? active : undefined;

  let requeue: number | undefined;
  if (!cj.metadata.deletionTimestamp) {
    await pruneHistory(d, ref, jobs);
    requeue = await startDue(d, cj, ref, status, now);
  }
  if (JSON.stringify(status) !== before) {
    cj = await writeStatus(d, cj, status);
    if (!cj) return;
  }
  return requeue === undefined ? undefined : { requeueAfterMs: requeue };
}

/** Start the Job for the most recent due time, if any; returns ms until the next schedule. */
async function startDue(d: CronJobSyncDeps, cj: any, ref: any, status: any, now: number): Promise<number | undefined> {
  let sched: Schedule;
  try {
    sched = parseSchedule(cj.spec.schedule, cj.spec.timeZone);
  } catch (e: any) {
    const reason = /time zone/.test(e.message) ? 'UnknownTimeZone' : 'UnparseableSchedule';
    d.recorder.event(ref, 'Warning', reason, `${reason === 'UnknownTimeZone' ? 'invalid timeZone' : 'unparseable schedule'}: ${JSON.stringify(cj.spec.schedule)} : ${e.message}`);
    return undefined;
  }
  if (cj.spec.suspend) return undefined;
  const earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp);
  const deadline = cj.spec.startingDeadlineSeconds;
  const missed = mostRecentScheduleTime(sched, earliest, now, deadline);
  // Wake just after the next schedule time (a little late beats a little early).
  const wake = () => Math.max(0, sched.next(now) - now) + 100;
  if (missed.tooMany) d.recorder.event(ref, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  const t = missed.mostRecent;
  if (t === undefined) return wake();
  if (deadline !== undefined && deadline !== null && t + deadline * 1000 < now) {
    d.recorder.event(ref, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(t).toUTCString()}`);
    return wake();
  }
  const name = jobNameFor(cj.metadata.name, t);
  if ((status.active ?? []).some((a: any) => a.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === t)) return wake();
  const policy = cj.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && (status.active ?? []).length) {
    d.recorder.event(ref, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return wake();
  }
  if (policy === 'Replace') {
    for (const a of status.active ?? []) {
      try {
        await d.jobs.delete(a.namespace, a.name, { propagationPolicy: 'Background', preconditions: { uid: a.uid } });
        d.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted job ${a.name}`);
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) {
          d.recorder.event(ref, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
          throw e;
        }
      }
    }
    status.active = undefined;
  }
  let created: any;
  try {
    created = await d.jobs.create(jobFromTemplate(cj, t));
    d.recorder.event(ref, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
  } catch (e) {
    if (!isAlreadyExists(e)) {
      d.recorder.event(ref, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
      throw e;
    }
    // Created by an earlier attempt whose status write was lost: adopt it if it is ours.
    created = await d.getJob(cj.metadata.namespace, name);
    if (!created || !ownedBy(created, cj.metadata.uid)) return wake();
  }
  status.active = [...(status.active ?? []), objectRef(created)];
  status.lastScheduleTime = iso(t);
  return wake();
}

/** Delete the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
async function pruneHistory(d: CronJobSyncDeps, ref: any, jobs: any[]): Promise<void> {
  const limits = { Complete: ref.spec.successfulJobsHistoryLimit, Failed: ref.spec.failedJobsHistoryLimit };
  for (const type of ['Complete', 'Failed'] as const) {
    const limit = limits[type];
    if (limit === undefined || limit === null) continue;
    const done = jobs.filter((j) => !j.metadata.deletionTimestamp && finishedCondition(j)?.type === type);
    if (done.length <= limit) continue;
    // Oldest first by start time; Jobs that never started sort as newest, as upstream's byJobStartTime does.
    const start = (j: any) => (j.status?.startTime ? Date.parse(j.status.startTime) : Infinity);
    done.sort((a, b) => start(a) - start(b) || a.metadata.name.localeCompare(b.metadata.name));
    for (const j of done.slice(0, done.length - limit)) {
      try {
        await d.jobs.delete(j.metadata.namespace, j.metadata.name, { propagationPolicy: 'Background', preconditions: { uid: j.metadata.uid } });
        d.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
  }
}

async function writeStatus(d: CronJobSyncDeps, cj: any, status: any): Promise<any | undefined> {
  try {
    return await d.cronjobs.updateStatus({ ...cj, status });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
