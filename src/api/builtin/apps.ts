/** apps/v1 kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision. */
import type { FieldError, ResourceDef, ValidationContext } from '../types.js';
import { kind } from './kind.js';
import { col, labelSelectorString } from './printing.js';
import { defaultTemplate } from './defaults.js';
import { validatePodSpec } from './pod-validation.js';
import { immutable, invalid, notSupported, required, validateLabels } from './validation.js';
import { daemonSetSpecErrors, statefulSetSpecErrors } from './apps-sets-validation.js';

const apps = { group: 'apps', version: 'v1' };

function selectorMatches(sel: any, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of sel?.matchExpressions ?? []) {
    const has = r.key in labels;
    if (r.operator === 'In' && !(has && (r.values ?? []).includes(labels[r.key]))) return false;
    if (r.operator === 'NotIn' && has && (r.values ?? []).includes(labels[r.key])) return false;
    if (r.operator === 'Exists' && !has) return false;
    if (r.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Selector, template and replica rules shared by the workload kinds (ValidateDeploymentSpec & co.). */
function validateWorkload(o: any, ctx: ValidationContext, extra?: (o: any) => FieldError[]): FieldError[] {
  if (ctx.operation === 'status') return [];
  const out: FieldError[] = [];
  const s = o.spec ?? {};
  if (s.replicas !== undefined && (typeof s.replicas !== 'number' || s.replicas < 0)) out.push(invalid('spec.replicas', s.replicas, 'must be greater than or equal to 0'));
  const sel = s.selector;
  if (!sel) out.push(required('spec.selector'));
  else if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) out.push(invalid('spec.selector', sel, 'empty selector is invalid for deployment'));
  else out.push(...validateLabels(sel.matchLabels, 'spec.selector.matchLabels'));
  const labels = s.template?.metadata?.labels ?? {};
  if (!s.template) out.push(required('spec.template'));
  else {
    if (sel && !selectorMatches(sel, labels)) out.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
    out.push(...validateLabels(s.template.metadata?.labels, 'spec.template.metadata.labels'));
    out.push(...validatePodSpec(s.template.spec, 'spec.template.spec', { restartPolicies: ['Always'] }));
  }
  if (ctx.old && ctx.operation === 'update' && JSON.stringify(ctx.old.spec?.selector) !== JSON.stringify(sel)) out.push(immutable('spec.selector', sel));
  if (extra) out.push(...extra(o));
  return out;
}

const keepStatus = (o: any, old: any) => {
  o.status = old.status;
};

function intOrPercentInvalid(v: unknown): boolean {
  return !(typeof v === 'number' ? v >= 0 : typeof v === 'string' && /^\d+%$/.test(v));
}

export const deployments = kind({
  ...apps,
  kind: 'Deployment',
  plural: 'deployments',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  generation: true,
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
  columns: [col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', { type: 'integer' }), col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', { type: 'integer' })],
  cells: (o) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0],
  wide: [col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.')],
  wideCells: (o) => [(o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name).join(','), (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image).join(','), labelSelectorString(o.spec?.selector)],
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.strategy ??= {};
    s.strategy.type ??= 'RollingUpdate';
    if (s.strategy.type === 'RollingUpdate') {
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
      s.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    defaultTemplate(s.template);
  },
  validate: (o, ctx) =>
    validateWorkload(o, ctx, (d) => {
      const out: FieldError[] = [];
      const st = d.spec?.strategy ?? {};
      if (st.type && !['RollingUpdate', 'Recreate'].includes(st.type)) out.push(notSupported('spec.strategy.type', st.type, ['Recreate', 'RollingUpdate']));
      const ru = st.rollingUpdate;
      if (st.type === 'Recreate' && ru) out.push({ type: 'FieldValueForbidden', field: 'spec.strategy.rollingUpdate', detail: 'may not be specified when strategy `type` is \'Recreate\'' });
      if (ru) {
        if (ru.maxSurge !== undefined && intOrPercentInvalid(ru.maxSurge)) out.push(invalid('spec.strategy.rollingUpdate.maxSurge', ru.maxSurge, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')'));
        if (ru.maxUnavailable !== undefined && intOrPercentInvalid(ru.maxUnavailable)) out.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')'));
        const zero = (v: unknown) => v === 0 || v === '0%';
        if (zero(ru.maxSurge) && zero(ru.maxUnavailable)) out.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      if (d.spec?.progressDeadlineSeconds !== undefined && d.spec?.minReadySeconds !== undefined && d.spec.progressDeadlineSeconds <= d.spec.minReadySeconds) out.push(invalid('spec.progressDeadlineSeconds', d.spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
      return out;
    }),
  prepareForCreate: (o) => {
    o.status = {};
  },
  prepareForUpdate: keepStatus,
});

export const replicasets = kind({
  ...apps,
  kind: 'ReplicaSet',
  plural: 'replicasets',
  shortNames: ['rs'],
  categories: ['all'],
  namespaced: true,
  generation: true,
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
  columns: [col('Desired', 'Number of desired pods.', { type: 'integer' }), col('Current', 'Number of actual replicas.', { type: 'integer' }), col('Ready', 'Number of ready replicas.', { type: 'integer' })],
  cells: (o) => [o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0],
  wide: [col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Selector', 'Label selector for pods.')],
  wideCells: (o) => [(o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name).join(','), (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image).join(','), labelSelectorString(o.spec?.selector)],
  defaults: (o) => {
    (o.spec ??= {}).replicas ??= 1;
    defaultTemplate(o.spec.template);
  },
  validate: (o, ctx) => validateWorkload(o, ctx),
  prepareForCreate: (o) => {
    o.status = { replicas: 0 };
  },
  prepareForUpdate: keepStatus,
});

export const statefulsets = kind({
  ...apps,
  kind: 'StatefulSet',
  plural: 'statefulsets',
  shortNames: ['sts'],
  categories: ['all'],
  namespaced: true,
  generation: true,
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
  columns: [col('Ready', 'Number of the pod with ready state')],
  cells: (o) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`],
  wide: [col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.')],
  wideCells: (o) => [(o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name).join(','), (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image).join(',')],
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.podManagementPolicy ??= 'OrderedReady';
    // SetDefaults_StatefulSet: an unset strategy becomes RollingUpdate with partition 0; an
    // explicit RollingUpdate without rollingUpdate stays without it (kubectl rollout status
    // then reports a plain rolling update instead of a partitioned one).
    s.updateStrategy ??= {};
    if (!s.updateStrategy.type) s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { ...(s.updateStrategy.rollingUpdate ?? {}) } };
    if (s.updateStrategy.type === 'RollingUpdate' && s.updateStrategy.rollingUpdate) s.updateStrategy.rollingUpdate.partition ??= 0;
    s.revisionHistoryLimit ??= 10;
    s.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Retain', whenScaled: 'Retain', ...(s.persistentVolumeClaimRetentionPolicy ?? {}) };
    for (const t of s.volumeClaimTemplates ?? []) {
      t.apiVersion ??= 'v1';
      t.kind ??= 'PersistentVolumeClaim';
      (t.spec ??= {}).volumeMode ??= 'Filesystem';
      t.status ??= { phase: 'Pending' };
    }
    defaultTemplate(s.template);
  },
  validate: (o, ctx) =>
    validateWorkload(o, ctx, (s) => {
      const out: FieldError[] = statefulSetSpecErrors(s.spec ?? {});
      if (ctx.old && ctx.operation === 'update') {
        // Only replicas, ordinals, template, updateStrategy, minReadySeconds, retention policy and revisionHistoryLimit may change.
        const pick = (x: any) => JSON.stringify({ ...x.spec, replicas: 0, ordinals: 0, template: 0, updateStrategy: 0, minReadySeconds: 0, persistentVolumeClaimRetentionPolicy: 0, revisionHistoryLimit: 0 });
        if (pick(s) !== pick(ctx.old)) out.push({ type: 'FieldValueForbidden', field: 'spec', detail: "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" });
      }
      return out;
    }),
  prepareForCreate: (o) => {
    o.status = { replicas: 0, availableReplicas: 0 };
  },
  prepareForUpdate: keepStatus,
});

export const daemonsets = kind({
  ...apps,
  kind: 'DaemonSet',
  plural: 'daemonsets',
  shortNames: ['ds'],
  categories: ['all'],
  namespaced: true,
  generation: true,
  subresources: { status: true },
  columns: [
    col('Desired', 'The desired number of daemon pods.', { type: 'integer' }),
    col('Current', 'The number of nodes that are running at least 1 daemon pod.', { type: 'integer' }),
    col('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', { type: 'integer' }),
    col('Up-to-date', 'The total number of nodes that are running updated daemon pod', { type: 'integer' }),
    col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.', { type: 'integer' }),
    col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
  ],
  cells: (o) => {
    const s = o.status ?? {};
    const ns = o.spec?.template?.spec?.nodeSelector;
    return [s.desiredNumberScheduled ?? 0, s.currentNumberScheduled ?? 0, s.numberReady ?? 0, s.updatedNumberScheduled ?? 0, s.numberAvailable ?? 0, ns && Object.keys(ns).length ? Object.entries(ns).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'];
  },
  wide: [col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Selector', 'Label selector for pods.')],
  wideCells: (o) => [(o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name).join(','), (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image).join(','), labelSelectorString(o.spec?.selector)],
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.updateStrategy ??= {};
    s.updateStrategy.type ??= 'RollingUpdate';
    if (s.updateStrategy.type === 'RollingUpdate') s.updateStrategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 0, ...(s.updateStrategy.rollingUpdate ?? {}) };
    s.revisionHistoryLimit ??= 10;
    defaultTemplate(s.template);
  },
  validate: (o, ctx) => validateWorkload(o, ctx, (d) => daemonSetSpecErrors(d.spec ?? {})),
  prepareForCreate: (o) => {
    o.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  },
  prepareForUpdate: keepStatus,
});

export const controllerrevisions = kind({
  ...apps,
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  namespaced: true,
  columns: [col('Controller', 'Controller of the object'), col('Revision', 'Revision of the ControllerRevision', { type: 'integer' })],
  cells: (o) => {
    const ref = (o.metadata?.ownerReferences ?? []).find((r: any) => r.controller);
    return [ref ? `${String(ref.apiVersion).includes('/') ? `${ref.kind.toLowerCase()}.${ref.apiVersion.split('/')[0]}` : ref.kind.toLowerCase()}/${ref.name}` : '<none>', o.revision ?? 0];
  },
  validate: (o, ctx) => (ctx.old && JSON.stringify(o.data) !== JSON.stringify(ctx.old.data) ? [immutable('data', '')] : []),
});

export const appsKinds: ResourceDef[] = [deployments, replicasets, statefulsets, daemonsets, controllerrevisions];
