/**
 * The built-in Services. The `kubernetes` Service in `default` (the first address of the service CIDR, port 443)
 * and its endpoints (the Endpoints object and the `kubernetes` EndpointSlice) naming
 * this API server's address, as kube-apiserver's endpoint reconciler keeps them. The
 * Service has no selector, so the EndpointSlice controller leaves its endpoints alone.
 */
import type { Registry } from '../api/registry.js';
import { ApiError } from './errors.js';
import type { ObjectStore } from './object-store.js';
import type { ServiceAllocation } from './allocation/service-allocation.js';

const rfc3339 = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

async function upsert(reg: Registry, store: ObjectStore, group: string, plural: string, obj: any, same: (cur: any) => boolean): Promise<void> {
  const def = reg.lookup(group, group ? 'v1' : 'v1', plural)!;
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

export async function publishKubernetesService(reg: Registry, store: ObjectStore, alloc: ServiceAllocation | undefined, clusterIp: string, address: string, port: number): Promise<void> {
  const svcDef = reg.lookup('', 'v1', 'services')!;
  if (!(await store.tryGet(svcDef, 'default', 'kubernetes'))) {
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
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  await upsert(reg, store, '', 'endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets: [{ addresses: [{ ip: address }], ports }] }, (cur) => JSON.stringify(cur.subsets) === JSON.stringify([{ addresses: [{ ip: address }], ports }]));
  const endpoints = [{ addresses: [address], conditions: { ready: true } }];
  await upsert(
    reg,
    store,
    'discovery.k8s.io',
    'endpointslices',
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } }, addressType: 'IPv4', endpoints, ports },
    (cur) => JSON.stringify(cur.endpoints) === JSON.stringify(endpoints) && JSON.stringify(cur.ports) === JSON.stringify(ports),
  );
}

export async function publishDnsService(reg: Registry, store: ObjectStore, alloc: ServiceAllocation | undefined, clusterDns: string, address: string, port: number): Promise<void> {
  const svcDef = reg.lookup('', 'v1', 'services')!;
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'skiff-dns' };
  if (!(await store.tryGet(svcDef, 'kube-system', 'kube-dns'))) {
    const svc: any = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      spec: { type: 'ClusterIP', clusterIP: clusterDns, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: port }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: port }] },
    };
    await alloc?.ips.allocate(clusterDns, 'kube-system/kube-dns').catch(() => undefined);
    svcDef.prepareForCreate?.(svc);
    await upsert(reg, store, '', 'services', svc, () => true);
  }
  const ports = [
    { name: 'dns', port, protocol: 'UDP' },
    { name: 'dns-tcp', port, protocol: 'TCP' },
  ];
  const endpoints = [{ addresses: [address], conditions: { ready: true } }];
  await upsert(
    reg,
    store,
    'discovery.k8s.io',
    'endpointslices',
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...labels, 'kubernetes.io/service-name': 'kube-dns' } }, addressType: 'IPv4', endpoints, ports },
    (cur) => JSON.stringify(cur.endpoints) === JSON.stringify(endpoints) && JSON.stringify(cur.ports) === JSON.stringify(ports),
  );
}
