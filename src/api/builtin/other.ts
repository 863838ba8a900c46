/** coordination.k8s.io Lease, events.k8s.io Event, batch Job and CronJob, scheduling.k8s.io PriorityClass. */
import type { FieldError, ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { events, eventSource } from './core.js';
import { eventsStoredAsCore } from './event-conversion.js';
import { col, humanDuration, labelSelectorString } from './printing.js';
import { defaultTemplate } from './defaults.js';
import { validatePodSpec } from './pod-validation.js';
import { immutable, invalid, notSupported, required } from './validation.js';
import { isValidTimeZone, parseSchedule } from '../../util/cron.js';

export const leases = kind({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  columns: [col('Holder', 'The holder of the lease')],
  cells: (o) => [o.spec?.holderIdentity ?? ''],
});

export const eventsV1 = kind({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  nameValidation: 'path-segment',
  noAge: true,
  // The core/v1 Events, converted (one storage, as upstream), printed with their table.
  // Upstream's events.k8s.io/v1 field label conversion: the core Event selectors under
  // their events.k8s.io names (regarding.*, reportingController), no `source`.
  selectableFields: {
    'regarding.kind': (o) => o.regarding?.kind,
    'regarding.namespace': (o) => o.regarding?.namespace,
    'regarding.name': (o) => o.regarding?.name,
    'regarding.uid': (o) => o.regarding?.uid,
    'regarding.apiVersion': (o) => o.regarding?.apiVersion,
    'regarding.resourceVersion': (o) => o.regarding?.resourceVersion,
    'regarding.fieldPath': (o) => o.regarding?.fieldPath,
    reason: (o) => o.reason,
    reportingController: (o) => o.reportingController,
    type: (o) => o.type,
  },
  storedAs: eventsStoredAsCore,
  noName: true,
  columns: events.columns,
  cells: (o, now) => {
    const t = o.series?.lastObservedTime ?? o.deprecatedLastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp;
    const r = o.regarding ?? {};
    const first = o.deprecatedFirstTimestamp ?? o.eventTime;
    return [
      t ? humanDuration(now.getTime() - Date.parse(t)) : '<unknown>',
      o.type ?? '',
      o.reason ?? '',
      `${String(r.kind ?? '').toLowerCase()}/${r.name ?? ''}`,
      r.fieldPath ?? '',
      eventSource(o.deprecatedSource?.component || o.reportingController, o.deprecatedSource?.host || o.reportingInstance),
      o.note ?? '',
      first ? humanDuration(now.getTime() - Date.parse(first)) : '<unknown>',
      o.series?.count ?? o.deprecatedCount ?? 1,
      o.metadata?.name,
    ];
  },
});

function jobCompletions(o: any): string {
  const s = o.spec ?? {};
  if (s.completions !== undefined && s.completions !== null) return `${o.status?.succeeded ?? 0}/${s.completions}`;
  const p = s.parallelism ?? 1;
  return p > 1 ? `${o.status?.succeeded ?? 0}/1 of ${p}` : `${o.status?.succeeded ?? 0}/1`;
}

function jobStatus(o: any): string {
  const has = (t: string) => (o.status?.conditions ?? []).some((c: any) => c.type === t && c.status === 'True');
  // printJob's order: a finished job keeps its outcome while deleted; any other job being
  // deleted reads Terminating even when suspended or already past its failure target.
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobDuration(o: any, now: Date): string {
  const st = o.status?.startTime;
  if (!st) return '';
  const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(st));
}

/** The Job strategy's generated selector: pods are matched by the job's uid (unless manualSelector). */
export function jobSelectorDefaults(o: any): void {
  const s = (o.spec ??= {});
  if (s.manualSelector) return;
  const uid = o.metadata?.uid;
  if (!uid) return;
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name, 'controller-uid': uid, 'job-name': o.metadata.name };
  s.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  s.template ??= {};
  s.template.metadata = { ...(s.template.metadata ?? {}), labels: { ...(s.template.metadata?.labels ?? {}), ...labels } };
}

function validateJobSpec(s: any, field: string): FieldError[] {
  const out: FieldError[] = [];
  if (!s) return [required(field)];
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) if (s[f] !== undefined && s[f] !== null && !(s[f] >= 0)) out.push(invalid(`${field}.${f}`, s[f], 'must be greater than or equal to 0'));
  if (s.completionMode && !['NonIndexed', 'Indexed'].includes(s.completionMode)) out.push(notSupported(`${field}.completionMode`, s.completionMode, ['NonIndexed', 'Indexed']));
  if (s.completionMode === 'Indexed' && (s.completions === undefined || s.completions === null)) out.push(required(`${field}.completions`, 'when completion mode is Indexed'));
  if (!s.template) out.push(required(`${field}.template`));
  else {
    const rp = s.template.spec?.restartPolicy;
    if (rp === undefined || rp === 'Always') out.push(rp === undefined ? required(`${field}.template.spec.restartPolicy`) : notSupported(`${field}.template.spec.restartPolicy`, rp, ['OnFailure', 'Never']));
    out.push(...validatePodSpec(s.template.spec, `${field}.template.spec`, { restartPolicies: ['OnFailure', 'Never'] }).filter((e) => !e.field.endsWith('restartPolicy')));
  }
  return out;
}

export const jobs = kind({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  categories: ['all'],
  namespaced: true,
  generation: true,
  subresources: { status: true },
  columns: [col('Status', 'Status of the job.'), col('Completions', 'The completion status of the job'), col('Duration', 'Time required to complete the job.')],
  cells: (o, now) => [jobStatus(o), jobCompletions(o), jobDuration(o, now)],
  wide: [col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Selector', 'Selector of the job')],
  wideCells: (o) => [(o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name).join(','), (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image).join(','), labelSelectorString(o.spec?.selector)],
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.parallelism ??= 1;
    if (s.completions === undefined && !(s.parallelism > 1)) s.completions = 1;
    s.backoffLimit ??= s.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
    s.completionMode ??= 'NonIndexed';
    s.suspend ??= false;
    s.manualSelector ??= undefined;
    s.podReplacementPolicy ??= 'TerminatingOrFailed';
    defaultTemplate(s.template);
  },
  validate: (o, ctx) => {
    if (ctx.operation === 'status') return [];
    const out = validateJobSpec(o.spec, 'spec');
    if (ctx.old && ctx.operation === 'update') {
      if (JSON.stringify(o.spec?.selector) !== JSON.stringify(ctx.old.spec?.selector)) out.push(immutable('spec.selector', o.spec?.selector));
      if (o.spec?.completions !== ctx.old.spec?.completions && o.spec?.completionMode !== 'Indexed') out.push(immutable('spec.completions', o.spec?.completions));
      if (o.spec?.completionMode !== ctx.old.spec?.completionMode) out.push(immutable('spec.completionMode', o.spec?.completionMode));
      if (JSON.stringify(o.spec?.template) !== JSON.stringify(ctx.old.spec?.template) && !ctx.old.spec?.suspend) out.push(immutable('spec.template', ''));
    }
    return out;
  },
  prepareForCreate: (o) => {
    jobSelectorDefaults(o);
    o.status = {};
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

export const cronjobs = kind({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  shortNames: ['cj'],
  categories: ['all'],
  namespaced: true,
  nameValidation: 'subdomain',
  generation: true,
  subresources: { status: true },
  columns: [col('Schedule', 'The schedule'), col('Timezone', 'The time zone'), col('Suspend', 'Whether the cron job is suspended', { type: 'boolean' }), col('Active', 'Number of active jobs', { type: 'integer' }), col('Last Schedule', 'When the last job was scheduled')],
  // Upstream prints Suspend with printBoolPtr: the strings True/False, not a JSON boolean.
  cells: (o, now) => [o.spec?.schedule ?? '', o.spec?.timeZone ?? '<none>', o.spec?.suspend === undefined || o.spec?.suspend === null ? '<unset>' : o.spec.suspend ? 'True' : 'False', (o.status?.active ?? []).length, o.status?.lastScheduleTime ? humanDuration(now.getTime() - Date.parse(o.status.lastScheduleTime)) : '<none>'],
  wide: [col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Selector', 'Selector of the job')],
  wideCells: (o) => {
    const cs = o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];
    return [cs.map((c: any) => c.name).join(','), cs.map((c: any) => c.image).join(','), labelSelectorString(o.spec?.jobTemplate?.spec?.selector)];
  },
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.concurrencyPolicy ??= 'Allow';
    s.suspend ??= false;
    s.successfulJobsHistoryLimit ??= 3;
    s.failedJobsHistoryLimit ??= 1;
    defaultTemplate(s.jobTemplate?.spec?.template);
  },
  validate: (o, ctx) => {
    if (ctx.operation === 'status') return [];
    const out: FieldError[] = [];
    const s = o.spec ?? {};
    const tzOk = s.timeZone === undefined || s.timeZone === null || (typeof s.timeZone === 'string' && isValidTimeZone(s.timeZone));
    if (!s.schedule) out.push(required('spec.schedule'));
    else if (tzOk) {
      try {
        parseSchedule(s.schedule, s.timeZone);
      } catch (e: any) {
        out.push(invalid('spec.schedule', s.schedule, e.message));
      }
    }
    if (!tzOk) out.push(invalid('spec.timeZone', s.timeZone, 'unknown time zone ' + s.timeZone));
    for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) if (s[f] !== undefined && s[f] !== null && !(s[f] >= 0)) out.push(invalid(`spec.${f}`, s[f], 'must be greater than or equal to 0'));
    if (s.concurrencyPolicy && !['Allow', 'Forbid', 'Replace'].includes(s.concurrencyPolicy)) out.push(notSupported('spec.concurrencyPolicy', s.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
    if (o.metadata?.name && o.metadata.name.length > 52) out.push(invalid('metadata.name', o.metadata.name, 'must be no more than 52 characters'));
    out.push(...validateJobSpec(s.jobTemplate?.spec, 'spec.jobTemplate.spec'));
    return out;
  },
  prepareForCreate: (o) => {
    o.status = {};
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

export const priorityclasses = kind({
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  shortNames: ['pc'],
  namespaced: false,
  columns: [col('Value', 'The value of the priority class', { type: 'integer' }), col('Global-Default', 'Whether this is the global default', { type: 'boolean' }), col('Preemption-Policy', 'The preemption policy')],
  cells: (o) => [o.value ?? 0, !!o.globalDefault, o.preemptionPolicy ?? 'PreemptLowerPriority'],
  defaults: (o) => {
    o.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate: (o, ctx) => {
    const out: FieldError[] = [];
    if (typeof o.value !== 'number') out.push(required('value'));
    else if (o.value > 1_000_000_000 && !String(o.metadata?.name).startsWith('system-')) out.push(invalid('value', o.value, 'must be no greater than 1000000000'));
    if (ctx.old && o.value !== ctx.old.value) out.push(immutable('value', o.value));
    return out;
  },
});

export const otherKinds: ResourceDef[] = [leases, eventsV1, jobs, cronjobs, priorityclasses];
