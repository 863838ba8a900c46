/**
 * core/v1 ResourceQuota and LimitRange. The resource quota controller owns a quota's
 * status (hard mirrored from spec, used recomputed); admission (src/apiserver/admission)
 * enforces both. Validation follows upstream's ValidateResourceQuota / ValidateLimitRange,
 * with their messages; `kubectl get quota` prints NAME, AGE, REQUEST, LIMIT as upstream's
 * printer, and a LimitRange (no printer upstream) NAME, CREATED AT.
 */
import type { FieldError, ResourceDef } from '../types.js';
import { canonicalQuantity, cmpQuantity, formatQuantity, isQuantity, parseQuantity, QUANTITY_FORMAT_MSG } from '../quantity.js';
import { kind } from './kind.js';
import { AGE_COL, age, col } from './printing.js';
import { invalid, notSupported, qualifiedName, required } from './validation.js';

const core = { group: '', version: 'v1' };

export const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity', 'VolumeAttributesClass'];
const SCOPE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
export const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

const STANDARD_QUOTA = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers',
  'cpu', 'memory', 'ephemeral-storage', 'storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
/** Resources counted in whole objects: their quantities must be integers. */
const INTEGER_RESOURCES = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);

const POD_COMPUTE = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** IsResourceQuotaScopeValidForResource: which standard resources each scope may constrain. */
function scopeValidFor(scope: string, resource: string): boolean {
  switch (scope) {
    case 'BestEffort':
    case 'CrossNamespacePodAffinity':
      return resource === 'pods';
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
      return resource === 'pods' || POD_COMPUTE.includes(resource);
  }
  return true;
}

function isStandardQuotaName(n: string): boolean {
  return STANDARD_QUOTA.has(n) || /^(requests\.)?hugepages-/.test(n) || n.startsWith('count/');
}

/** One ResourceList entry: the name's shape, then a non-negative (and for counts whole) quantity. */
function quantityErrors(name: string, value: unknown, field: string, o: { quota: boolean }): FieldError[] {
  const out: FieldError[] = [];
  for (const m of qualifiedName(name)) out.push(invalid(field, name, m));
  if (o.quota && !name.includes('/') && !isStandardQuotaName(name)) out.push(invalid(field, name, 'must be a standard resource for quota'));
  if (!isQuantity(value)) return [...out, invalid(field, value, QUANTITY_FORMAT_MSG)];
  const q = parseQuantity(value as string);
  if (q.nanos < 0n) out.push(invalid(field, value, 'must be greater than or equal to 0'));
  if ((INTEGER_RESOURCES.has(name) || name.startsWith('count/')) && q.nanos % 1_000_000_000n !== 0n) out.push(invalid(field, value, 'must be an integer'));
  return out;
}

function listErrors(list: unknown, field: string, o: { quota: boolean }): FieldError[] {
  if (list === undefined || list === null) return [];
  return Object.entries(list as Record<string, unknown>).flatMap(([k, v]) => quantityErrors(k, v, `${field}[${k}]`, o));
}

export function validateQuotaSpec(spec: any): FieldError[] {
  const s = spec ?? {};
  const out = listErrors(s.hard, 'spec.hard', { quota: true });
  const scopes: string[] = s.scopes ?? [];
  for (const sc of scopes) {
    if (!QUOTA_SCOPES.includes(sc)) out.push(invalid('spec.scopes', scopes, 'unsupported scope'));
    for (const k of Object.keys(s.hard ?? {}).sort()) if (STANDARD_QUOTA.has(k) && !scopeValidFor(sc, k)) out.push(invalid('spec.scopes', scopes, 'unsupported scope applied to resource'));
  }
  if (scopes.includes('Terminating') && scopes.includes('NotTerminating')) out.push(invalid('spec.scopes', scopes, 'conflicting scopes'));
  if (scopes.includes('BestEffort') && scopes.includes('NotBestEffort')) out.push(invalid('spec.scopes', scopes, 'conflicting scopes'));
  (s.scopeSelector?.matchExpressions ?? []).forEach((r: any, i: number) => {
    const f = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!QUOTA_SCOPES.includes(r?.scopeName)) out.push(invalid(`${f}.scopeName`, r?.scopeName, 'unsupported scope'));
    if (!SCOPE_OPERATORS.includes(r?.operator)) out.push(notSupported(`${f}.operator`, r?.operator, SCOPE_OPERATORS));
    const n = (r?.values ?? []).length;
    if ((r?.operator === 'In' || r?.operator === 'NotIn') && n === 0) out.push(required(`${f}.values`, 'must be at least one value when `operator` is \'In\' or \'NotIn\' for scope selector'));
    if ((r?.operator === 'Exists' || r?.operator === 'DoesNotExist') && n > 0) out.push(invalid(`${f}.values`, r.values, 'must be no value when `operator` is \'Exist\' or \'DoesNotExist\' for scope selector'));
  });
  return out;
}

function validateQuotaStatus(st: any): FieldError[] {
  return [...listErrors(st?.hard, 'status.hard', { quota: true }), ...listErrors(st?.used, 'status.used', { quota: true })];
}

/** ValidateLimitRange: per item, min ≤ defaultRequest ≤ default ≤ max and ratios ≥ 1. */
export function validateLimitRangeSpec(spec: any): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  (spec?.limits ?? []).forEach((item: any, i: number) => {
    const f = `spec.limits[${i}]`;
    const t = item?.type;
    if (seen.has(t)) out.push({ type: 'FieldValueDuplicate', field: `${f}.type`, value: t, detail: '' });
    seen.add(t);
    for (const part of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) out.push(...listErrors(item?.[part], `${f}.${part}`, { quota: false }));
    if (out.length) return;
    if (t === 'Pod') {
      if (Object.keys(item.default ?? {}).length) out.push({ type: 'FieldValueForbidden', field: `${f}.default`, detail: 'may not be specified when `type` is \'Pod\'' });
      if (Object.keys(item.defaultRequest ?? {}).length) out.push({ type: 'FieldValueForbidden', field: `${f}.defaultRequest`, detail: 'may not be specified when `type` is \'Pod\'' });
    }
    if (t === 'PersistentVolumeClaim') {
      if (item.min?.storage === undefined && item.max?.storage === undefined) out.push(required(`${f}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const q = (part: string, k: string) => (item[part]?.[k] !== undefined ? parseQuantity(item[part][k]) : undefined);
    const names = new Set<string>(['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'].flatMap((p) => Object.keys(item[p] ?? {})));
    for (const k of names) {
      const max = q('max', k), min = q('min', k), def = q('default', k), defReq = q('defaultRequest', k), ratio = q('maxLimitRequestRatio', k);
      const s = formatQuantity;
      if (min && max && cmpQuantity(min, max) > 0) out.push(invalid(`${f}.min[${k}]`, item.min[k], `min value ${s(min)} is greater than max value ${s(max)}`));
      if (defReq && min && cmpQuantity(min, defReq) > 0) out.push(invalid(`${f}.defaultRequest[${k}]`, item.defaultRequest[k], `min value ${s(min)} is greater than default request value ${s(defReq)}`));
      if (defReq && max && cmpQuantity(defReq, max) > 0) out.push(invalid(`${f}.defaultRequest[${k}]`, item.defaultRequest[k], `default request value ${s(defReq)} is greater than max value ${s(max)}`));
      if (defReq && def && cmpQuantity(defReq, def) > 0) out.push(invalid(`${f}.defaultRequest[${k}]`, item.defaultRequest[k], `default request value ${s(defReq)} is greater than default limit value ${s(def)}`));
      if (def && min && cmpQuantity(min, def) > 0) out.push(invalid(`${f}.default[${k}]`, item.default[k], `min value ${s(min)} is greater than default value ${s(def)}`));
      if (def && max && cmpQuantity(def, max) > 0) out.push(invalid(`${f}.default[${k}]`, item.default[k], `default value ${s(def)} is greater than max value ${s(max)}`));
      if (ratio && ratio.nanos < 1_000_000_000n) out.push(invalid(`${f}.maxLimitRequestRatio[${k}]`, item.maxLimitRequestRatio[k], `ratio ${s(ratio)} is less than 1`));
      if (ratio && min && max && min.nanos > 0n) {
        const maxRatio = Number(max.nanos) / Number(min.nanos);
        if (Number(ratio.nanos) / 1e9 > maxRatio) out.push(invalid(`${f}.maxLimitRequestRatio[${k}]`, item.maxLimitRequestRatio[k], `ratio ${s(ratio)} is greater than max/min = ${maxRatio.toFixed(6)}`));
      }
    }
  });
  return out;
}

/** Stored quantities are canonical, as upstream's Quantity marshals them ("1000m" → "1"). */
function canonicalList(list: any): any {
  if (!list || typeof list !== 'object') return list;
  for (const [k, v] of Object.entries(list)) if (isQuantity(v)) list[k] = canonicalQuantity(v as string);
  return list;
}

/** The REQUEST and LIMIT cells: "resource: used/hard" sorted by name, limits.* in LIMIT. */
export function quotaCells(o: any): [string, string] {
  const hard = o.status?.hard ?? {};
  const used = o.status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const r of Object.keys(hard).sort()) {
    const parts = r.split('.');
    const cell = `${r}: ${used[r] !== undefined ? canonicalQuantity(used[r]) : '0'}/${canonicalQuantity(hard[r])}`;
    (parts.length > 1 && parts[0] === 'limits' ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourcequotas = kind({
  ...core,
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  shortNames: ['quota'],
  namespaced: true,
  subresources: { status: true },
  noAge: true,
  columns: [
    AGE_COL,
    col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells: (o, now) => [age(o, now), ...quotaCells(o)],
  defaults: (o) => {
    canonicalList(o.spec?.hard);
    canonicalList(o.status?.hard);
    canonicalList(o.status?.used);
  },
  validate: (o, ctx) => (ctx.operation === 'status' ? validateQuotaStatus(o.status) : validateQuotaSpec(o.spec)),
  prepareForCreate: (o) => {
    // The controller fills status; until then admission refuses what the quota covers.
    o.status = {};
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

const CREATED_AT = col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', { type: 'date' });

export const limitranges = kind({
  ...core,
  kind: 'LimitRange',
  plural: 'limitranges',
  shortNames: ['limits'],
  namespaced: true,
  noAge: true,
  columns: [CREATED_AT],
  cells: (o) => [o.metadata?.creationTimestamp ?? '<unknown>'],
  defaults: (o) => {
    for (const item of o.spec?.limits ?? []) {
      for (const p of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalList(item?.[p]);
      // SetDefaults_LimitRangeItem: a Container item's default limit falls back to max,
      // and its default request to the default limit, then to min.
      if (item?.type === 'Container') {
        for (const [k, v] of Object.entries(item.max ?? {})) if ((item.default ??= {})[k] === undefined) item.default[k] = v;
        for (const [k, v] of Object.entries(item.default ?? {})) if ((item.defaultRequest ??= {})[k] === undefined) item.defaultRequest[k] = v;
        for (const [k, v] of Object.entries(item.min ?? {})) if ((item.defaultRequest ??= {})[k] === undefined) item.defaultRequest[k] = v;
        if (item.default && !Object.keys(item.default).length) delete item.default;
        if (item.defaultRequest && !Object.keys(item.defaultRequest).length) delete item.defaultRequest;
      }
    }
  },
  validate: (o) => validateLimitRangeSpec(o.spec),
});

export const quotaKinds: ResourceDef[] = [resourcequotas, limitranges];
