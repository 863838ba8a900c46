/**
 * The built-in Services: the `kubernetes` Service in `default` (the first address of the
 * service CIDR, port 443) and the cluster DNS's `kube-dns` in `kube-system`. Neither has
 * a selector, so the EndpointSlice controller leaves their endpoints alone: the servers
 * keep those through the lease endpoint reconciler (endpoint-leases.ts), each listing
 * every live server.
 */
import type { Registry } from '../api/registry.js';
import { ApiError } from './errors.js';
import type { ObjectStore } from './object-store.js';
import type { ServiceAllocation } from './allocation/service-allocation.js';

const rfc3339 = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Creates obj, or updates the stored one unless `same` says it already is as wanted (retried on conflicts). */
export async function upsert(reg: Registry, store: ObjectStore, group: string, plural: string, obj: any, same: (cur: any) => boolean): Promise<void> {
  const def = reg.lookup(group, 'v1', plural)!;
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await store.tryGet(def, obj.metadata.namespace, obj.metadata.name);
    if (cur && same(cur)) return;
    const next = cur ? { ...cur, ...obj, metadata: { ...cur.metadata, labels: obj.metadata.labels } } : { ...obj, metadata: { ...obj.metadata, uid: crypto.randomUUID(), creationTimestamp: rfc3339() } };
    def.defaults?.(next);
    try {
      if (cur) await store.update(def, next, Number(cur.metadata.resourceVersion));
      else await store.create(def, next);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'Conflict'))) throw err;
    }
  }
}

/** The `kubernetes` Service, made once by the first server (its targetPort is that server's port). */
export async function ensureKubernetesService(reg: Registry, store: ObjectStore, alloc: ServiceAllocation | undefined, clusterIp: string, port: number): Promise<void> {
  const svcDef = reg.lookup('', 'v1', 'services')!;
  if (await store.tryGet(svcDef, 'default', 'kubernetes')) return;
  const svc: any = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: clusterIp, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  };
  await alloc?.ips.allocate(clusterIp, 'default/kubernetes').catch(() => undefined);
  svcDef.prepareForCreate?.(svc);
  await upsert(reg, store, '', 'services', svc, () => true);
}

export const DNS_LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'skiff-dns' };

/** The `kube-dns` Service at the cluster DNS address, made once. */
export async function ensureDnsService(reg: Registry, store: ObjectStore, alloc: ServiceAllocation | undefined, clusterDns: string, port: number): Promise<void> {
  const svcDef = reg.lookup('', 'v1', 'services')!;
  if (await store.tryGet(svcDef, 'kube-system', 'kube-dns')) return;
  const svc: any = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: DNS_LABELS },
    spec: { type: 'ClusterIP', clusterIP: clusterDns, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: port }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: port }] },
  };
  await alloc?.ips.allocate(clusterDns, 'kube-system/kube-dns').catch(() => undefined);
  svcDef.prepareForCreate?.(svc);
  await upsert(reg, store, '', 'services', svc, () => true);
}
