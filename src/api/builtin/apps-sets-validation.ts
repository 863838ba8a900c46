/**
 * StatefulSet and DaemonSet spec validation beyond the shared workload rules, with
 * upstream's field paths and messages (ValidateStatefulSetSpec, ValidateDaemonSetSpec):
 * update strategies, partition, maxUnavailable/maxSurge, podManagementPolicy, claim
 * retention policy, ordinals.
 */
import type { FieldError } from '../types.js';
import { invalid, notSupported, required } from './validation.js';

const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
const NONNEG_MSG = 'must be greater than or equal to 0';

function nonNegative(v: unknown, field: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, v, NONNEG_MSG)] : [];
}

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
function intOrPercent(v: unknown, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return nonNegative(v, field);
  if (typeof v !== 'string' || !/^[0-9]+%$/.test(v)) return [invalid(field, v, PERCENT_MSG)];
  return Number(v.slice(0, -1)) > 100 ? [invalid(field, v, 'must not be greater than 100%')] : [];
}

const intOrPercentValue = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]+%$/.test(v) ? Number(v.slice(0, -1)) : 0);

export function statefulSetSpecErrors(spec: any): FieldError[] {
  const out: FieldError[] = [];
  const pmp = spec.podManagementPolicy;
  if (!pmp) out.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') out.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = spec.updateStrategy ?? {};
  switch (us.type) {
    case undefined:
    case '':
      out.push(required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (us.rollingUpdate) out.push(invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) break;
      out.push(...nonNegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        const f = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
        const errs = intOrPercent(ru.maxUnavailable, f);
        out.push(...errs.filter((e) => e.detail !== 'must not be greater than 100%'));
        if (intOrPercentValue(ru.maxUnavailable) === 0) out.push(invalid(f, ru.maxUnavailable, 'must be greater than zero'));
        out.push(...errs.filter((e) => e.detail === 'must not be greater than 100%'));
      }
      break;
    }
    default:
      out.push(invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const policy = spec.persistentVolumeClaimRetentionPolicy;
  if (policy) {
    for (const k of ['whenDeleted', 'whenScaled'])
      if (policy[k] !== 'Retain' && policy[k] !== 'Delete') out.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, policy[k] ?? '', ['Retain', 'Delete']));
  }
  if (spec.ordinals) out.push(...nonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  out.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  out.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  for (const [i, t] of (spec.volumeClaimTemplates ?? []).entries()) {
    if (!t.metadata?.name) out.push(required(`spec.volumeClaimTemplates[${i}].metadata.name`, 'name or generateName is required'));
    if (!(t.spec?.accessModes ?? []).length) out.push(required(`spec.volumeClaimTemplates[${i}].spec.accessModes`));
    if (!t.spec?.resources?.requests?.storage) out.push(required(`spec.volumeClaimTemplates[${i}].spec.resources[storage]`));
  }
  return out;
}

export function daemonSetSpecErrors(spec: any): FieldError[] {
  const out: FieldError[] = [];
  const us = spec.updateStrategy ?? {};
  if (us.type === 'RollingUpdate') {
    const ru = us.rollingUpdate;
    if (!ru) out.push(required('spec.updateStrategy.rollingUpdate'));
    else {
      const fu = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
      const fs = 'spec.updateStrategy.rollingUpdate.maxSurge';
      out.push(...intOrPercent(ru.maxUnavailable, fu), ...intOrPercent(ru.maxSurge, fs));
      // exactly one of maxSurge and maxUnavailable is non-zero
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) out.push(invalid(fs, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) out.push(required(fu, 'cannot be 0 when maxSurge is 0'));
    }
  } else if (us.type !== 'OnDelete') out.push(notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  out.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  out.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return out;
}
