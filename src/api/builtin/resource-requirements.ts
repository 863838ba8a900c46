/**
 * ValidateResourceRequirements' core rule: a container's request may not exceed its
 * limit ("must be less than or equal to cpu limit of 500m", on the requests field), and
 * neither may be negative. Pod validation runs it, and so does LimitRanger after filling
 * defaults (a default limit below a stated request makes the pod invalid, as upstream).
 */
import type { FieldError } from '../types.js';
import { cmpQuantity, formatQuantity, isQuantity, parseQuantity } from '../quantity.js';
import { invalid } from './validation.js';

export function resourceRequirementErrors(resources: any, field: string): FieldError[] {
  const out: FieldError[] = [];
  const limits = resources?.limits ?? {};
  const requests = resources?.requests ?? {};
  for (const [k, v] of Object.entries(limits)) {
    if (isQuantity(v) && parseQuantity(v as string).nanos < 0n) out.push(invalid(`${field}.limits[${k}]`, formatQuantity(parseQuantity(v as string)), 'must be greater than or equal to 0'));
  }
  for (const k of Object.keys(requests).sort()) {
    const v = requests[k];
    if (!isQuantity(v)) continue;
    const req = parseQuantity(v);
    if (req.nanos < 0n) out.push(invalid(`${field}.requests[${k}]`, formatQuantity(req), 'must be greater than or equal to 0'));
    const lim = limits[k];
    if (isQuantity(lim) && cmpQuantity(req, parseQuantity(lim)) > 0) {
      out.push(invalid(`${field}.requests`, formatQuantity(req), `must be less than or equal to ${k} limit of ${formatQuantity(parseQuantity(lim))}`));
    }
  }
  return out;
}
