/**
 * The lease endpoint reconciler (kube-apiserver's --endpoint-reconciler-type=lease): the
 * endpoints of a built-in Service that several servers on one datastore each serve (the
 * `kubernetes` Service, the cluster DNS) list every server that is alive, not just the
 * last one to write. Each server keeps a lease on its address with a TTL (15 s upstream)
 * and renews it every 2/3 of the TTL (upstream: 10 s); every renewal also rewrites the
 * endpoints, when they differ, from the unexpired leases, addresses sorted. A server that
 * stops cleanly drops its lease and rewrites the endpoints at once; one that dies is
 * dropped by the others once its lease has expired.
 *
 * Upstream keeps the leases as etcd keys /masterleases/<ip> with an etcd TTL. skiff's
 * stores have no TTL (SQLite), so a lease is a coordination.k8s.io Lease in kube-system
 * (named endpoint-<service>-<ip>-<port>, labelled skiff.io/endpoints-of=<ns>.<service>,
 * with the address in annotations): renewTime + leaseDurationSeconds is its expiry, and
 * whoever finds it expired deletes it (guarded by its resourceVersion, so a lease renewed
 * meanwhile stays). A lease names its port too, unlike upstream's, so that servers on one
 * address with different ports (tests, several servers on one machine) each count: all
 * servers of a real cluster share a port, and then the endpoints are upstream's (one
 * subset, one EndpointSlice); with mixed ports there is a subset, and an EndpointSlice
 * (`<service>-<port>` after the first), per port.
 */
import type { Registry } from '../api/registry.js';
import type { Logger } from '../util/log.js';
import { ApiError } from './errors.js';
import type { ObjectStore } from './object-store.js';
import { upsert } from './bootstrap-service.js';

export const ENDPOINTS_OF_LABEL = 'skiff.io/endpoints-of';
const ADDRESS_ANNOTATION = 'skiff.io/endpoint-address';
const PORT_ANNOTATION = 'skiff.io/endpoint-port';
export const LEASE_NAMESPACE = 'kube-system';
/** Upstream's DefaultEndpointReconcilerTTL. */
export const DEFAULT_ENDPOINT_TTL_MS = 15_000;

export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
}

/** The addresses serving at one port: one Endpoints subset, one EndpointSlice. */
export interface PortGroup {
  port: number;
  ips: string[];
}

export interface EndpointLeaseOptions {
  registry: Registry;
  store: ObjectStore;
  service: { namespace: string; name: string };
  /** The Service's endpoint ports when served at port number `port`. */
  ports: (port: number) => EndpointPort[];
  /** Labels of the EndpointSlices (kubernetes.io/service-name is added). */
  sliceLabels: Record<string, string>;
  /** Also write the core/v1 Endpoints object (the `kubernetes` Service has one; kube-dns only slices). */
  writeEndpoints: boolean;
  /** This server (leader election's identity): a restarted server drops its leases on old addresses. */
  identity: string;
  address: string;
  port: number;
  ttlMs?: number;
  now?: () => number;
  log?: Logger;
}

export function leaseExpired(lease: any, now: number): boolean {
  const renewed = Date.parse(lease.spec?.renewTime ?? '');
  if (!Number.isFinite(renewed)) return true;
  return renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now;
}

/** The live servers by port (ports ascending), each port's addresses sorted as upstream lists them. */
export function portGroups(leases: readonly any[], now: number): PortGroup[] {
  const byPort = new Map<number, Set<string>>();
  for (const l of leases) {
    if (leaseExpired(l, now)) continue;
    const ip = l.metadata.annotations?.[ADDRESS_ANNOTATION];
    const port = Number(l.metadata.annotations?.[PORT_ANNOTATION]);
    if (!ip || !Number.isInteger(port)) continue;
    if (!byPort.has(port)) byPort.set(port, new Set());
    byPort.get(port)!.add(ip);
  }
  return [...byPort.entries()].sort((a, b) => a[0] - b[0]).map(([port, ips]) => ({ port, ips: [...ips].sort() }));
}

/** EndpointSlice name of the i-th port group: the Service's name, then <name>-<port>. */
export const sliceName = (service: string, g: PortGroup, i: number) => (i === 0 ? service : `${service}-${g.port}`);

const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export class EndpointLeaseReconciler {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly o: EndpointLeaseOptions) {
    this.ttlMs = Math.max(1000, o.ttlMs ?? DEFAULT_ENDPOINT_TTL_MS);
    this.now = o.now ?? Date.now;
  }

  get leaseName(): string {
    return `endpoint-${this.o.service.name}-${this.o.address.toLowerCase().replace(/:/g, '-')}-${this.o.port}`;
  }

  private get selectorValue(): string {
    return `${this.o.service.namespace}.${this.o.service.name}`;
  }

  private def(group: string, plural: string) {
    return this.o.registry.lookup(group, 'v1', plural)!;
  }

  /** Reconciles now, then every 2/3 of the TTL (upstream: 10 s for 15 s) until stop(). */
  async start(): Promise<void> {
    await this.reconcile();
    const every = Math.max(500, Math.floor((this.ttlMs * 2) / 3));
    const tick = () => {
      if (this.stopped) return;
      this.running = this.reconcile()
        .catch((err) => this.o.log?.warn('endpoint reconcile failed', { service: `${this.o.service.namespace}/${this.o.service.name}`, err: String(err) }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, every).unref();
        });
    };
    this.timer = setTimeout(tick, every).unref();
  }

  /** Stops renewing, leaving the lease to expire (the store is closing). */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Upstream's RemoveEndpoints on shutdown: drop this server's lease, rewrite the endpoints without it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => {});
    try {
      await this.o.store.delete(this.def('coordination.k8s.io', 'leases'), LEASE_NAMESPACE, this.leaseName);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
    await this.writeEndpoints(await this.liveLeases());
  }

  /** Renews this server's lease (always first, as upstream), then writes the endpoints from the live leases. */
  async reconcile(): Promise<void> {
    await this.renew();
    const leases = await this.liveLeases();
    // Our own lease was just renewed: none listed means something is wrong; never erase everything.
    if (!leases.length) throw new Error('no live endpoint leases listed: refusing to erase all endpoints');
    await this.writeEndpoints(leases);
  }

  private async renew(): Promise<void> {
    const def = this.def('coordination.k8s.io', 'leases');
    const now = this.now();
    const spec = { holderIdentity: this.o.identity, leaseDurationSeconds: Math.ceil(this.ttlMs / 1000), renewTime: microTime(now) };
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: LEASE_NAMESPACE,
        labels: { [ENDPOINTS_OF_LABEL]: this.selectorValue },
        annotations: { [ADDRESS_ANNOTATION]: this.o.address, [PORT_ANNOTATION]: String(this.o.port) },
      },
      spec: { ...spec, acquireTime: microTime(now) },
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.o.store.tryGet(def, LEASE_NAMESPACE, this.leaseName);
      try {
        if (!cur) await this.o.store.create(def, { ...lease, metadata: { ...lease.metadata, uid: crypto.randomUUID(), creationTimestamp: microTime(now).replace(/\.\d+Z$/, 'Z') } });
        else await this.o.store.update(def, { ...cur, metadata: { ...cur.metadata, labels: lease.metadata.labels, annotations: lease.metadata.annotations }, spec: { ...cur.spec, ...spec } }, Number(cur.metadata.resourceVersion));
        return;
      } catch (err) {
        if (!(err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'Conflict'))) throw err;
      }
    }
  }

  /**
   * This Service's unexpired leases. Expired ones are deleted (upstream's etcd TTL does
   * that), and so are this server's own leases on another address or port (a restart).
   */
  private async liveLeases(): Promise<any[]> {
    const def = this.def('coordination.k8s.io', 'leases');
    const now = this.now();
    const mine = (await this.o.store.list(def, LEASE_NAMESPACE)).filter((l) => l.metadata.labels?.[ENDPOINTS_OF_LABEL] === this.selectorValue);
    const live: any[] = [];
    for (const l of mine) {
      const stale = leaseExpired(l, now) || (l.spec?.holderIdentity === this.o.identity && (l.metadata.name !== this.leaseName || this.stopped));
      if (!stale) {
        live.push(l);
        continue;
      }
      await this.o.store.delete(def, LEASE_NAMESPACE, l.metadata.name, Number(l.metadata.resourceVersion)).catch((err) => {
        if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
      });
    }
    return live;
  }

  private async writeEndpoints(leases: readonly any[]): Promise<void> {
    const { namespace, name } = this.o.service;
    const groups = portGroups(leases, this.now());
    // The last server gone: upstream refuses to erase all endpoints, and leaves them be.
    if (!groups.length) return;
    if (this.o.writeEndpoints) {
      const subsets = groups.map((g) => ({ addresses: g.ips.map((ip) => ({ ip })), ports: this.o.ports(g.port) }));
      const ep = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets };
      await upsert(this.o.registry, this.o.store, '', 'endpoints', ep, (cur) => JSON.stringify(cur.subsets ?? []) === JSON.stringify(subsets) && cur.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror'] === 'true');
    }
    const wanted = new Set<string>();
    for (const [i, g] of groups.entries()) {
      const sname = sliceName(name, g, i);
      wanted.add(sname);
      const endpoints = g.ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
      const ports = this.o.ports(g.port);
      const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: sname, namespace, labels: { ...this.o.sliceLabels, 'kubernetes.io/service-name': name } }, addressType: g.ips.some((ip) => ip.includes(':')) ? 'IPv6' : 'IPv4', endpoints, ports };
      await upsert(this.o.registry, this.o.store, 'discovery.k8s.io', 'endpointslices', slice, (cur) => JSON.stringify(cur.endpoints) === JSON.stringify(endpoints) && JSON.stringify(cur.ports) === JSON.stringify(ports));
    }
    // Slices of ports no live server uses any more (<service>-<port>; never the Service's own name).
    const sdef = this.def('discovery.k8s.io', 'endpointslices');
    for (const s of await this.o.store.list(sdef, namespace)) {
      const n = s.metadata.name;
      if (s.metadata.labels?.['kubernetes.io/service-name'] !== name || wanted.has(n) || n === name || !new RegExp(`^${name}-\\d+$`).test(n)) continue;
      await this.o.store.delete(sdef, namespace, n, Number(s.metadata.resourceVersion)).catch(() => {});
    }
  }
}
