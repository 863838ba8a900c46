/**
 * policy/v1 PodDisruptionBudget: how many pods of a set may be voluntarily disrupted
 * (evicted) at once. The disruption controller writes its status; the pods/eviction
 * subresource reads and decrements it. Validation follows upstream's
 * ValidatePodDisruptionBudgetSpec / ValidatePodDisruptionBudgetStatusUpdate.
 */
import type { FieldError, ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { col } from './printing.js';
import { invalid, notSupported, qualifiedName, validateLabels } from './validation.js';

const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];
const SELECTOR_OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const isSet = (v: unknown) => v !== undefined && v !== null;

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent, as the apps validation does. */
function intOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'number') return v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
  if (typeof v !== 'string' || !/^[0-9]+%$/.test(v)) return [invalid(field, v, PERCENT_MSG)];
  return Number(v.slice(0, -1)) > 100 ? [invalid(field, v, 'must not be greater than 100%')] : [];
}

/** The label selector's operators and values (ValidateLabelSelector's checks that matter here). */
function selectorErrors(sel: any, field: string): FieldError[] {
  const out: FieldError[] = [...validateLabels(sel?.matchLabels, `${field}.matchLabels`)];
  (sel?.matchExpressions ?? []).forEach((r: any, i: number) => {
    const f = `${field}.matchExpressions[${i}]`;
    const n = (r?.values ?? []).length;
    if (!SELECTOR_OPS.includes(r?.operator)) out.push(invalid(`${f}.operator`, r?.operator, 'not a valid selector operator'));
    else if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0) out.push({ type: 'FieldValueRequired', field: `${f}.values`, detail: 'must be specified when `operator` is \'In\' or \'NotIn\'' });
    else if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0) out.push({ type: 'FieldValueForbidden', field: `${f}.values`, detail: 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' });
    for (const m of qualifiedName(String(r?.key ?? ''))) out.push(invalid(`${f}.key`, r?.key ?? '', m));
  });
  return out;
}

export function validatePdbSpec(spec: any): FieldError[] {
  const s = spec ?? {};
  const out: FieldError[] = [];
  if (isSet(s.minAvailable) && isSet(s.maxUnavailable)) out.push(invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  if (isSet(s.minAvailable)) out.push(...intOrPercent(s.minAvailable, 'spec.minAvailable'));
  if (isSet(s.maxUnavailable)) out.push(...intOrPercent(s.maxUnavailable, 'spec.maxUnavailable'));
  out.push(...selectorErrors(s.selector, 'spec.selector'));
  if (isSet(s.unhealthyPodEvictionPolicy) && !UNHEALTHY_POD_EVICTION_POLICIES.includes(s.unhealthyPodEvictionPolicy)) out.push(notSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, UNHEALTHY_POD_EVICTION_POLICIES));
  return out;
}

function validatePdbStatus(st: any): FieldError[] {
  const out: FieldError[] = [];
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) {
    const v = st?.[f];
    if (typeof v === 'number' && v < 0) out.push(invalid(`status.${f}`, v, 'must be greater than or equal to 0'));
  }
  return out;
}

/** IntOrString.String(): an int prints as a number, a percent as itself; unset is N/A. */
const intOrStringCell = (v: unknown) => (isSet(v) ? String(v) : 'N/A');

export const poddisruptionbudgets: ResourceDef = kind({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  shortNames: ['pdb'],
  namespaced: true,
  generation: true,
  subresources: { status: true },
  columns: [
    col('Min Available', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', { type: 'integer' }),
  ],
  cells: (o) => [intOrStringCell(o.spec?.minAvailable), intOrStringCell(o.spec?.maxUnavailable), o.status?.disruptionsAllowed ?? 0],
  validate: (o, ctx) => (ctx.operation === 'status' ? validatePdbStatus(o.status) : validatePdbSpec(o.spec)),
  prepareForCreate: (o) => {
    // The controller owns status; a new budget allows no disruptions until it has run.
    o.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

export const policyKinds: ResourceDef[] = [poddisruptionbudgets];
