/**
 * The LimitRanger admission plugin, as upstream's: on pod create, every LimitRange in the
 * namespace first fills the defaults of its Container item (default → limits,
 * defaultRequest → requests) into containers that lack them, recording what it set in the
 * kubernetes.io/limit-ranger annotation; then the pod (each container, and the pod as a
 * whole for a Pod item) must respect min, max and maxLimitRequestRatio, or it is refused
 * with a 403 naming each violation. A claim is checked against a PersistentVolumeClaim
 * item's min and max storage.
 */
import type { Registry } from '../../api/registry.js';
import { formatQuantity, parseQuantity, parseResourceList, quantityMilliValue, type Quantity, type ResourceList } from '../../api/quantity.js';
import { podResourceTotals } from '../../quota/evaluators.js';
import { resourceRequirementErrors } from '../../api/builtin/resource-requirements.js';
import { ApiError, errors } from '../errors.js';
import type { ObjectStore } from '../object-store.js';
import type { PresenceCache } from './presence-cache.js';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function forbidden(plural: string, obj: any, why: string): ApiError {
  const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
  return new ApiError(403, 'Forbidden', `${plural} "${name}" is forbidden: ${why}`, { name, kind: plural });
}

/** Fills one container's missing limits and requests; returns the annotation parts. */
function mergeContainer(c: any, limits: Record<string, string>, requests: Record<string, string>, prefix: string): string[] {
  const res = (c.resources ??= {});
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(limits)) {
    if ((res.limits ??= {})[k] === undefined) {
      res.limits[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(requests)) {
    if ((res.requests ??= {})[k] === undefined) {
      res.requests[k] = v;
      setRequests.push(k);
    }
  }
  if (res.limits && !Object.keys(res.limits).length) delete res.limits;
  if (res.requests && !Object.keys(res.requests).length) delete res.requests;
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  return out;
}

/** defaultContainerResourceRequirements + mergePodResourceRequirements. */
export function applyLimitRangeDefaults(pod: any, limitRange: any): void {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const item of limitRange.spec?.limits ?? []) {
    if (item?.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  if (!Object.keys(limits).length && !Object.keys(requests).length) return;
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) notes.push(...mergeContainer(c, limits, requests, 'container'));
  for (const c of pod.spec?.initContainers ?? []) notes.push(...mergeContainer(c, limits, requests, 'init container'));
  if (notes.length) (pod.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
}

// requestLimitEnforcedValues: compared in milli-units (our bigints never overflow).
const milli = (q: Quantity | undefined) => (q ? quantityMilliValue(q) : 0);

function minConstraint(type: string, r: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(r);
  const lim = limits.get(r);
  const e = formatQuantity(enforced);
  if (!req) return `minimum ${r} usage per ${type} is ${e}.  No request is specified`;
  if (milli(req) < milli(enforced)) return `minimum ${r} usage per ${type} is ${e}, but request is ${formatQuantity(req)}`;
  if (lim && milli(lim) < milli(enforced)) return `minimum ${r} usage per ${type} is ${e}, but limit is ${formatQuantity(lim)}`;
  return undefined;
}

function maxConstraint(type: string, r: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(r);
  const lim = limits.get(r);
  const e = formatQuantity(enforced);
  if (!lim) return `maximum ${r} usage per ${type} is ${e}.  No limit is specified`;
  if (milli(lim) > milli(enforced)) return `maximum ${r} usage per ${type} is ${e}, but limit is ${formatQuantity(lim)}`;
  if (req && milli(req) > milli(enforced)) return `maximum ${r} usage per ${type} is ${e}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function maxRequestConstraint(type: string, r: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = requests.get(r);
  if (req && milli(req) > milli(enforced)) return `maximum ${r} usage per ${type} is ${formatQuantity(enforced)}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function ratioConstraint(type: string, r: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = milli(requests.get(r));
  const lim = milli(limits.get(r));
  const e = formatQuantity(enforced);
  if (!req) return `${r} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (!lim) return `${r} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const ratio = lim / req;
  if (ratio * 1000 > milli(enforced)) return `${r} max limit to request ratio per ${type} is ${e}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

function checkItem(type: string, item: any, requests: ResourceList, limits: ResourceList, out: string[]): void {
  const each = (part: string, f: (r: string, q: Quantity) => string | undefined) => {
    for (const r of Object.keys(item[part] ?? {}).sort()) {
      const msg = f(r, parseQuantity(item[part][r]));
      if (msg) out.push(msg);
    }
  };
  each('min', (r, q) => minConstraint(type, r, q, requests, limits));
  each('max', (r, q) => maxConstraint(type, r, q, requests, limits));
  each('maxLimitRequestRatio', (r, q) => ratioConstraint(type, r, q, requests, limits));
}

/** PodValidateLimitFunc: the violations of one LimitRange by a pod. */
export function podLimitViolations(pod: any, limitRange: any): string[] {
  const out: string[] = [];
  for (const item of limitRange.spec?.limits ?? []) {
    if (item?.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkItem('Container', item, parseResourceList(c.resources?.requests), parseResourceList(c.resources?.limits), out);
      }
    } else if (item?.type === 'Pod') {
      checkItem('Pod', item, podResourceTotals(pod, 'requests'), podResourceTotals(pod, 'limits'), out);
    }
  }
  return out;
}

/** PersistentVolumeClaimValidateLimitFunc: min and max storage against the claim's request. */
export function claimLimitViolations(pvc: any, limitRange: any): string[] {
  const out: string[] = [];
  const requests = parseResourceList(pvc.spec?.resources?.requests);
  for (const item of limitRange.spec?.limits ?? []) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const r of Object.keys(item.min ?? {}).sort()) {
      const m = minConstraint('PersistentVolumeClaim', r, parseQuantity(item.min[r]), requests, new Map());
      if (m) out.push(m);
    }
    for (const r of Object.keys(item.max ?? {}).sort()) {
      const m = maxRequestConstraint('PersistentVolumeClaim', r, parseQuantity(item.max[r]), requests);
      if (m) out.push(m);
    }
  }
  return out;
}

/** utilerrors.NewAggregate's text: one error alone, several in brackets. */
const aggregate = (msgs: string[]) => (msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`);

/** Runs the plugin on a new pod or claim (mutating it), throwing upstream's 403 on a violation. */
export async function admitLimitRanger(reg: Registry, store: ObjectStore, plural: string, obj: any, presence?: PresenceCache): Promise<void> {
  if (plural !== 'pods' && plural !== 'persistentvolumeclaims') return;
  if (presence?.mayHave(obj.metadata.namespace) === false) return;
  const def = reg.lookup('', 'v1', 'limitranges');
  if (!def) return;
  const ranges = await store.list(def, obj.metadata.namespace);
  if (!ranges.length) return;
  const msgs: string[] = [];
  // The mutating phase (every range's defaults) runs before the validating one.
  if (plural === 'pods') {
    for (const lr of ranges) applyLimitRangeDefaults(obj, lr);
    // Validation sees the defaulted pod: a default limit below a stated request is invalid.
    const invalid = [
      ...(obj.spec?.containers ?? []).flatMap((c: any, i: number) => resourceRequirementErrors(c.resources, `spec.containers[${i}].resources`)),
      ...(obj.spec?.initContainers ?? []).flatMap((c: any, i: number) => resourceRequirementErrors(c.resources, `spec.initContainers[${i}].resources`)),
    ];
    if (invalid.length) throw errors.invalid('', 'Pod', obj.metadata?.name ?? '', invalid);
  }
  for (const lr of ranges) msgs.push(...(plural === 'pods' ? podLimitViolations(obj, lr) : claimLimitViolations(obj, lr)));
  if (msgs.length) throw forbidden(plural, obj, aggregate(msgs));
}
