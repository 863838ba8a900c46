/**
 * The clientset: ResourceClients for the kinds in-tree components use, and a factory
 * that shares one informer per resource between all controllers of a process (as
 * client-go's SharedInformerFactory does).
 */
import type { Logger } from '../util/log.js';
import { Informer } from './informer.js';
import { ResourceClient, type GVR } from './resource.js';
import type { RestClient } from './rest.js';

export const GVRS = {
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  services: { group: '', version: 'v1', plural: 'services', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  events: { group: '', version: 'v1', plural: 'events', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  controllerrevisions: { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  persistentvolumeclaims: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  persistentvolumes: { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false },
  storageclasses: { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false },
  clusterroles: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false },
} as const satisfies Record<string, GVR>;

export type KnownResource = keyof typeof GVRS;

export class Clientset {
  private readonly clients = new Map<string, ResourceClient>();
  constructor(
    readonly rest: RestClient,
    private readonly fieldManager = 'skiff',
  ) {}

  resource<T extends { metadata?: any } = any>(r: KnownResource | GVR): ResourceClient<T> {
    const gvr = typeof r === 'string' ? GVRS[r] : r;
    const k = `${gvr.group}/${gvr.version}/${gvr.plural}`;
    let c = this.clients.get(k);
    if (!c) this.clients.set(k, (c = new ResourceClient(this.rest, gvr, this.fieldManager)));
    return c as ResourceClient<T>;
  }
}

export class InformerFactory {
  private readonly informers = new Map<string, Informer<any>>();
  private signal?: AbortSignal;
  constructor(
    private readonly cs: Clientset,
    private readonly log: Logger,
  ) {}

  informer<T extends { metadata?: any } = any>(r: KnownResource | GVR): Informer<T> {
    const gvr = typeof r === 'string' ? GVRS[r] : r;
    const k = `${gvr.group}/${gvr.version}/${gvr.plural}`;
    let inf = this.informers.get(k);
    if (!inf) {
      inf = new Informer(this.cs.resource(gvr), { log: this.log.child(`informer/${gvr.plural}`) });
      this.informers.set(k, inf);
      if (this.signal) void inf.start(this.signal);
    }
    return inf as Informer<T>;
  }

  /** Starts every informer made so far, and any made later (the first call's signal stops them). */
  start(signal: AbortSignal): void {
    if (this.signal) return;
    this.signal = signal;
    for (const inf of this.informers.values()) void inf.start(signal);
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }
}
