/**
 * Validation of autoscaling/v2 HorizontalPodAutoscalers with upstream's messages
 * (ValidateHorizontalPodAutoscaler): replica bounds, the scale target reference, each
 * metric (one source of the declared type, a target of a valid type) and behavior
 * (stabilization windows, policies). v1 objects are validated after conversion to v2,
 * so their errors name v2 fields, as upstream's (it validates the internal version).
 */
import type { FieldError } from '../types.js';
import { parseQuantity } from '../../scheduler/framework/resources.js';
import { forbidden, invalid, notSupported, required } from './validation.js';

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SOURCE_FIELD: Record<string, string> = { Resource: 'resource', Pods: 'pods', Object: 'object', External: 'external', ContainerResource: 'containerResource' };
const TARGET_TYPES = ['AverageValue', 'Utilization', 'Value'];
const MAX_PERIOD = 1800;
const MAX_WINDOW = 3600;

function quantity(v: unknown): number | undefined {
  try {
    return v === undefined || v === null ? undefined : parseQuantity(v as string);
  } catch {
    return NaN;
  }
}

function validateTarget(t: any, f: string): FieldError[] {
  const out: FieldError[] = [];
  if (!t?.type) out.push(required(`${f}.type`, 'must specify a metric target type'));
  else if (!TARGET_TYPES.includes(t.type)) out.push(notSupported(`${f}.type`, t.type, TARGET_TYPES));
  const v = quantity(t?.value);
  if (v !== undefined && !(v > 0)) out.push(invalid(`${f}.value`, t.value, 'must be positive'));
  const av = quantity(t?.averageValue);
  if (av !== undefined && !(av > 0)) out.push(invalid(`${f}.averageValue`, t.averageValue, 'must be positive'));
  if (t?.averageUtilization !== undefined && t.averageUtilization !== null && !(t.averageUtilization >= 1)) out.push(invalid(`${f}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  return out;
}

function validateResourceSource(s: any, f: string): FieldError[] {
  const out: FieldError[] = [];
  if (!s.name) out.push(required(`${f}.name`, 'must specify a resource name'));
  const t = s.target ?? {};
  const hasUtil = t.averageUtilization !== undefined && t.averageUtilization !== null;
  const hasAvg = t.averageValue !== undefined && t.averageValue !== null;
  if (!hasUtil && !hasAvg) out.push(required(`${f}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  if (hasUtil && hasAvg) out.push(forbidden(`${f}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  out.push(...validateTarget(t, `${f}.target`));
  return out;
}

function validateMetric(m: any, f: string): FieldError[] {
  const out: FieldError[] = [];
  if (!m?.type) return [required(`${f}.type`, 'must specify a metric source type')];
  if (!METRIC_TYPES.includes(m.type)) return [notSupported(`${f}.type`, m.type, METRIC_TYPES)];
  const present = Object.entries(SOURCE_FIELD).filter(([, k]) => m[k] !== undefined && m[k] !== null);
  const field = SOURCE_FIELD[m.type];
  if (m[field] === undefined || m[field] === null) out.push(required(`${f}.${field}`, 'must populate information for the given metric source'));
  if (present.some(([t]) => t !== m.type)) out.push(forbidden(f, 'must populate the given metric source only'));
  const src = m[field];
  if (!src) return out;
  if (m.type === 'Resource') out.push(...validateResourceSource(src, `${f}.resource`));
  else if (m.type === 'ContainerResource') {
    if (!src.container) out.push(required(`${f}.containerResource.container`, 'must specify a container'));
    out.push(...validateResourceSource(src, `${f}.containerResource`));
  } else {
    if (!src.metric?.name) out.push(required(`${f}.${field}.metric.name`, 'must specify a metric name'));
    out.push(...validateTarget(src.target, `${f}.${field}.target`));
  }
  return out;
}

function validateRules(r: any, f: string): FieldError[] {
  const out: FieldError[] = [];
  if (!r) return out;
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && w !== null) {
    if (w < 0) out.push(invalid(`${f}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
    if (w > MAX_WINDOW) out.push(invalid(`${f}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_WINDOW}`));
  }
  if (r.selectPolicy !== undefined && !['Max', 'Min', 'Disabled'].includes(r.selectPolicy)) out.push(notSupported(`${f}.selectPolicy`, r.selectPolicy, ['Disabled', 'Max', 'Min']));
  const policies = r.policies ?? [];
  if (!policies.length) out.push(required(`${f}.policies`, 'must specify at least one Policy'));
  policies.forEach((p: any, i: number) => {
    const pf = `${f}.policies[${i}]`;
    if (!['Pods', 'Percent'].includes(p.type)) out.push(notSupported(`${pf}.type`, p.type, ['Percent', 'Pods']));
    if (!(p.value > 0)) out.push(invalid(`${pf}.value`, p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0)) out.push(invalid(`${pf}.periodSeconds`, p.periodSeconds, 'must be greater than zero'));
    else if (p.periodSeconds > MAX_PERIOD) out.push(invalid(`${pf}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD}`));
  });
  return out;
}

export function validateHpaV2(o: any): FieldError[] {
  const out: FieldError[] = [];
  const s = o.spec ?? {};
  if (s.minReplicas !== undefined && s.minReplicas !== null && s.minReplicas < 1) out.push(invalid('spec.minReplicas', s.minReplicas, 'must be greater than or equal to 1'));
  if (!(s.maxReplicas >= 1)) out.push(invalid('spec.maxReplicas', s.maxReplicas ?? 0, 'must be greater than 0'));
  if (s.minReplicas && s.maxReplicas >= 1 && s.maxReplicas < s.minReplicas) out.push(invalid('spec.maxReplicas', s.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  const ref = s.scaleTargetRef ?? {};
  if (!ref.kind) out.push(required('spec.scaleTargetRef.kind'));
  else if (/[/%]/.test(ref.kind)) out.push(invalid('spec.scaleTargetRef.kind', ref.kind, `may not contain '${ref.kind.includes('/') ? '/' : '%'}'`));
  if (!ref.name) out.push(required('spec.scaleTargetRef.name'));
  else if (/[/%]/.test(ref.name) || ref.name === '.' || ref.name === '..') out.push(invalid('spec.scaleTargetRef.name', ref.name, ref.name === '.' || ref.name === '..' ? `may not be '${ref.name}'` : `may not contain '${ref.name.includes('/') ? '/' : '%'}'`));
  (s.metrics ?? []).forEach((m: any, i: number) => out.push(...validateMetric(m, `spec.metrics[${i}]`)));
  if (s.behavior) {
    out.push(...validateRules(s.behavior.scaleUp, 'spec.behavior.scaleUp'));
    out.push(...validateRules(s.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return out;
}
