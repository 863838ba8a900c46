/**
 * Quota evaluators as upstream's pkg/quota/v1/evaluator/core: what one object uses
 * (Usage), whether a quota covers it (Matches, with the pod scopes), which of a quota's
 * hard resources it tracks (MatchingResources), and the pod's old constraint that every
 * container must state a request/limit for cpu or memory a quota constrains.
 */
import { parseQuantity, parseResourceList, quantityOfInt, zeroQuantity, type Quantity, type ResourceList } from '../api/quantity.js';
import { qosClass } from '../api/builtin/pod-validation.js';
import { addLists, countedKind, objectCountName, one } from './resources.js';

/** The legacy (pre count/) object-count names of the core kinds. */
const LEGACY_COUNT: Record<string, string> = { services: 'services', configmaps: 'configmaps', secrets: 'secrets', persistentvolumeclaims: 'persistentvolumeclaims', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };
const COMPUTE_CONSTRAINED = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** QuotaV1Pod: pods that reached a terminal phase (or outlived their deletion grace) stop counting. */
export function podCountsForQuota(pod: any, now: Date): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const del = pod.metadata?.deletionTimestamp;
  if (del && pod.metadata?.deletionGracePeriodSeconds !== undefined) {
    const graceEnd = Date.parse(del) + Number(pod.metadata.deletionGracePeriodSeconds) * 1000;
    if (now.getTime() > graceEnd) return false;
  }
  return true;
}

function sumInto(acc: Map<string, Quantity>, list: ResourceList, max = false): void {
  for (const [k, v] of list) {
    const cur = acc.get(k);
    if (!cur) acc.set(k, v);
    else if (max) acc.set(k, v.nanos > cur.nanos ? v : cur);
    else acc.set(k, { nanos: cur.nanos + v.nanos, format: cur.format });
  }
}

/** PodRequests / PodLimits: app containers and sidecars summed, the largest init container, plus overhead. */
export function podResourceTotals(pod: any, which: 'requests' | 'limits'): ResourceList {
  const sum: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) sumInto(sum, parseResourceList(c.resources?.[which]));
  const init: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sumInto(sum, parseResourceList(c.resources?.[which]));
    else sumInto(init, parseResourceList(c.resources?.[which]), true);
  }
  sumInto(sum, init, true);
  if (pod.spec?.overhead) sumInto(sum, parseResourceList(pod.spec.overhead));
  return sum;
}

/** podComputeUsageHelper: requests count under requests.X and bare X, limits under limits.X. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', one()]]);
  for (const [k, v] of requests) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') {
      out.set(k, v);
      out.set(`requests.${k}`, v);
    } else if (k.startsWith('hugepages-')) {
      out.set(`requests.${k}`, v);
    } else if (k.includes('/')) out.set(`requests.${k}`, v);
  }
  for (const [k, v] of limits) if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') out.set(`limits.${k}`, v);
  return out;
}

export function podUsage(pod: any, now: Date): ResourceList {
  const out: ResourceList = new Map([['count/pods', one()]]);
  // count/pods tracks every stored pod; pods and compute only the ones not finished.
  if (!podCountsForQuota(pod, now)) return out;
  return addLists(out, computeUsage(podResourceTotals(pod, 'requests'), podResourceTotals(pod, 'limits')));
}

function pvcUsage(pvc: any): ResourceList {
  const out: ResourceList = new Map([['count/persistentvolumeclaims', one()], ['persistentvolumeclaims', one()]]);
  const req = pvc.spec?.resources?.requests?.storage;
  const cls = pvc.spec?.storageClassName;
  if (cls) out.set(`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`, one());
  if (req !== undefined) {
    try {
      const q = parseQuantity(req);
      out.set('requests.storage', q);
      if (cls) out.set(`${cls}.storageclass.storage.k8s.io/requests.storage`, q);
    } catch {
      /* invalid claims are refused by validation */
    }
  }
  return out;
}

function serviceUsage(svc: any): ResourceList {
  const out: ResourceList = new Map([['count/services', one()], ['services', one()]]);
  const type = svc.spec?.type ?? 'ClusterIP';
  const ports = (svc.spec?.ports ?? []).length;
  if (type === 'LoadBalancer') {
    out.set('services.loadbalancers', one());
    out.set('services.nodeports', quantityOfInt(svc.spec?.allocateLoadBalancerNodePorts === false ? 0 : ports));
  } else if (type === 'NodePort') out.set('services.nodeports', quantityOfInt(ports));
  else out.set('services.nodeports', zeroQuantity());
  return out;
}

/** What one stored object of the kind uses. */
export function usageOf(group: string, plural: string, obj: any, now: Date): ResourceList {
  if (!group && plural === 'pods') return podUsage(obj, now);
  if (!group && plural === 'persistentvolumeclaims') return pvcUsage(obj);
  if (!group && plural === 'services') return serviceUsage(obj);
  const out: ResourceList = new Map([[objectCountName(group, plural), one()]]);
  if (!group && LEGACY_COUNT[plural]) out.set(LEGACY_COUNT[plural], one());
  return out;
}

/** The quota's hard resources that objects of the kind use (MatchingResources). */
export function matchingResources(group: string, plural: string, hardNames: string[], scopes: string[] = []): string[] {
  return hardNames.filter((n) => {
    const k = countedKind(n);
    if (!k || k.group !== group || k.plural !== plural) return false;
    // A BestEffort quota tracks only the pod count (best-effort pods request nothing).
    if (plural === 'pods' && !group && scopes.includes('BestEffort')) return n === 'pods' || n === 'count/pods';
    return true;
  });
}

/** All the scopes of a quota: spec.scopes plus the scope selector's requirements. */
export function quotaScopeRequirements(quota: any): { scopeName: string; operator: string; values?: string[] }[] {
  const out = (quota.spec?.scopes ?? []).map((s: string) => ({ scopeName: s, operator: 'Exists' }));
  return [...out, ...(quota.spec?.scopeSelector?.matchExpressions ?? [])];
}

/** Whether the pod is within one scope requirement (podMatchesScopeFunc). */
function podMatchesScope(req: { scopeName: string; operator: string; values?: string[] }, pod: any): boolean {
  const spec = pod.spec ?? {};
  switch (req.scopeName) {
    case 'Terminating':
      return spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && spec.activeDeadlineSeconds >= 0;
    case 'NotTerminating':
      return spec.activeDeadlineSeconds === undefined || spec.activeDeadlineSeconds === null || spec.activeDeadlineSeconds < 0;
    case 'BestEffort':
      return qosClass(spec) === 'BestEffort';
    case 'NotBestEffort':
      return qosClass(spec) !== 'BestEffort';
    case 'PriorityClass': {
      const pc = spec.priorityClassName ?? '';
      switch (req.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return (req.values ?? []).includes(pc);
        case 'NotIn':
          return !(req.values ?? []).includes(pc);
      }
      return false;
    }
    case 'CrossNamespacePodAffinity': {
      const terms = [...(spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])];
      return terms.some((t: any) => (t.namespaces ?? []).length > 0 || t.namespaceSelector !== undefined);
    }
  }
  return false;
}

/** Matches: the quota tracks something the object uses, and the object is within all the quota's scopes. */
export function quotaMatches(quota: any, group: string, plural: string, obj: any): boolean {
  const hard = Object.keys(quota.status?.hard ?? quota.spec?.hard ?? {});
  const scopes = quotaScopeRequirements(quota);
  if (!matchingResources(group, plural, hard, scopes.map((s) => s.scopeName)).length) return false;
  if (!scopes.length) return true;
  if (group || plural !== 'pods') return false; // only pods have scopes
  return scopes.every((s) => podMatchesScope(s, obj));
}

/**
 * The pod constraint (podEvaluator.Constraints): when a quota constrains cpu or memory,
 * every container must state it; returns upstream's "must specify ..." or undefined.
 */
export function podConstraints(required: string[], pod: any): string | undefined {
  const need = required.filter((r) => COMPUTE_CONSTRAINED.includes(r));
  if (!need.length) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const have = computeUsage(parseResourceList(c.resources?.requests), parseResourceList(c.resources?.limits));
    for (const r of need) if (!have.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name);
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

