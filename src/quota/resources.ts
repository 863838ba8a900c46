/**
 * ResourceList helpers as upstream's pkg/quota/v1 (Add, Subtract, Mask, LessThanOrEqual)
 * over exact quantities, and the resource-name → counted-kind mapping both the quota
 * admission and the resource quota controller use.
 */
import { addQuantity, cmpQuantity, formatQuantity, quantityOfInt, subQuantity, zeroQuantity, type ResourceList } from '../api/quantity.js';

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) out.set(k, out.has(k) ? addQuantity(out.get(k)!, v) : v);
  return out;
}

export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) out.set(k, subQuantity(out.get(k) ?? zeroQuantity(), v));
  return out;
}

export function maskList(a: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) if (a.has(n)) out.set(n, a.get(n)!);
  return out;
}

/** LessThanOrEqual: every resource of `a` named in `limit` within it; the names that exceed. */
export function exceededNames(a: ResourceList, limit: ResourceList): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (limit.has(k) && cmpQuantity(v, limit.get(k)!) > 0) out.push(k);
  return out.sort();
}

/** prettyPrint: "pods=1,requests.cpu=500m", sorted by name. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()].sort().map((k) => `${k}=${formatQuantity(list.get(k)!)}`).join(',');
}

export const one = () => quantityOfInt(1);

/** Which kind a quota resource name counts: {group, plural}, or undefined for names nothing here counts. */
export function countedKind(name: string): { group: string; plural: string } | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    return dot < 0 ? { group: '', plural: rest } : { group: rest.slice(dot + 1), plural: rest.slice(0, dot) };
  }
  if (isPodResource(name)) return { group: '', plural: 'pods' };
  if (name === 'services' || name === 'services.nodeports' || name === 'services.loadbalancers') return { group: '', plural: 'services' };
  if (['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas', 'persistentvolumeclaims'].includes(name)) return { group: '', plural: name };
  if (name === 'requests.storage' || name.endsWith('.storageclass.storage.k8s.io/requests.storage') || name.endsWith('.storageclass.storage.k8s.io/persistentvolumeclaims')) return { group: '', plural: 'persistentvolumeclaims' };
  return undefined;
}

/** Names the pod evaluator tracks: pods, cpu/memory/ephemeral-storage (bare, requests.*, limits.*), hugepages and extended requests. */
export function isPodResource(name: string): boolean {
  if (['pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage'].includes(name)) return true;
  if (/^(requests\.)?hugepages-/.test(name)) return true;
  return name.startsWith('requests.') && name.includes('/') && !name.endsWith('requests.storage');
}

/** The count/<resource>[.<group>] name of a kind. */
export const objectCountName = (group: string, plural: string) => (group ? `count/${plural}.${group}` : `count/${plural}`);
