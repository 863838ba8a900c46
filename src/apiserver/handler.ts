/**
 * The API handler: everything under /api, /apis and /openapi. Routes a request to
 * discovery, OpenAPI, or a resource verb (get, list, watch, create, update, patch,
 * delete, deletecollection, and the status/scale/binding/eviction/finalize
 * subresources, and the pods' log/exec/attach/portforward streams through the node
 * agents), negotiating Table output, and turns every failure into a metav1.Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { podLog, proxyUpgrade, streamPath, writeUpgradeError, type KubeletClientConfig, type StreamSubresource } from './rest/pod-stream.js';
import type { Registry } from '../api/registry.js';
import type { Backend } from '../store/types.js';
import { aggregated, apiGroup, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery.js';
import { ApiError, errors } from './errors.js';
import { ObjectStore } from './object-store.js';
import { NamespaceCache } from './namespace-cache.js';
import { PresenceCache } from './admission/presence-cache.js';
import { openapiV2, openapiV2Protobuf, openapiV3Doc, openapiV3Index } from './openapi.js';
import { parsePath } from './request-info.js';
import type { RequestContext } from './rest/context.js';
import { del, deleteCollection } from './rest/delete.js';
import { get, list } from './rest/read.js';
import { negotiate, sendError, sendJson } from './rest/respond.js';
import { binding, finalize, scale } from './rest/subresources.js';
import { eviction } from './rest/eviction.js';
import { watch, WatchRegistry } from './rest/watch.js';
import { SYSTEM_PRIORITY_CLASSES } from './admission/priority.js';
import { bootstrapLocalPathStorageClass } from './bootstrap-storage.js';
import { create, patch, update } from './rest/write.js';
import { parsePortRange, ServiceAllocation } from './allocation/service-allocation.js';
import { DNS_LABELS, ensureDnsService, ensureKubernetesService } from './bootstrap-service.js';
import { EndpointLeaseReconciler } from './endpoint-leases.js';
import type { Logger } from '../util/log.js';
import { repairServiceAllocations } from './allocation/repair.js';
import { intToIp } from '../util/ipv4.js';
import { ServiceAccountTokens } from './serviceaccount/tokens.js';
import { LAST_USED_LABEL, lastUsedDate, validateLegacyToken, type LegacyTokenSubject } from './serviceaccount/legacy.js';
import { selfSubjectReview, tokenRequest } from './rest/token-request.js';
import { PolicyCache } from './rbac/policy-cache.js';
import { forbidden, RbacAuthorizer } from './rbac/authorizer.js';
import { nonResourceAttributes, resourceAttributes } from './rbac/attributes.js';
import { impersonate, wantsImpersonation } from './rbac/impersonation.js';
import { accessReview } from './rbac/access-review.js';
import { reconcileBootstrapPolicy } from './rbac/reconcile.js';
import type { Attributes } from './rbac/rules.js';
import { CrdController } from './crd/controller.js';
import { MetricsScraper, serveMetrics } from './metrics/index.js';

export interface UserInfo {
  name: string;
  groups: string[];
  /** The user's uid (a ServiceAccount's), when the authenticator knows one. */
  uid?: string;
  /** Extra attributes (a service-account token's pod and credential id). */
  extra?: Record<string, string[]>;
}

export interface ApiHandlerOptions {
  registry: Registry;
  backend: Backend;
  now?: () => Date;
  /** host:port for /api's serverAddressByClientCIDRs */
  serverAddress?: string;
  /** Services get ClusterIPs from this CIDR and node ports from this range (k3s: 10.43.0.0/16, 30000-32767). */
  serviceCidr?: string;
  serviceNodePortRange?: string;
  /** Credentials for calling node agents (pods/log, exec, attach, portforward). */
  kubeletClient?: KubeletClientConfig;
  /** PEM private key that signs service-account tokens (absent: no serviceaccounts/token). */
  serviceAccountKey?: string;
  /** 'RBAC' (default, as kube-apiserver --authorization-mode=RBAC) or 'AlwaysAllow' (any authenticated user may do anything). */
  authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /** How often node agents are scraped for metrics.k8s.io (metrics-server's --metric-resolution, 15 s). */
  metricResolutionMs?: number;
}

const notFoundResource = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

/** How a server takes part in a built-in Service's endpoints: its identity, lease TTL, log. */
export interface EndpointPublishOptions {
  identity: string;
  /** The endpoint lease's TTL (upstream's 15 s). */
  ttlMs?: number;
  log?: Logger;
}

export class ApiHandler {
  private readonly store: ObjectStore;
  private readonly watches = new WatchRegistry();
  private readonly namespaces: NamespaceCache;
  private readonly admissionCaches: { quotas: PresenceCache; limitRanges: PresenceCache };
  private readonly now: () => Date;
  readonly serviceAllocation?: ServiceAllocation;
  private repairTimer?: NodeJS.Timeout;
  private apiEndpoints?: EndpointLeaseReconciler;
  readonly serviceAccountTokens?: ServiceAccountTokens;
  /** The RBAC authorizer (absent with authorizationMode AlwaysAllow). */
  readonly authorizer?: RbacAuthorizer;
  private readonly policy?: PolicyCache;
  /** Serves the custom resources of every CustomResourceDefinition. */
  readonly crds: CrdController;
  /** The Resource Metrics API's scraper (metrics-server's job), when nodes can be reached. */
  private metrics?: MetricsScraper;

  constructor(private readonly o: ApiHandlerOptions) {
    this.store = new ObjectStore(o.backend);
    if ((o.authorizationMode ?? 'RBAC') === 'RBAC') {
      this.policy = new PolicyCache(o.backend);
      this.authorizer = new RbacAuthorizer(this.policy);
    }
    this.namespaces = new NamespaceCache(o.backend);
    this.admissionCaches = { quotas: new PresenceCache(o.backend, '/registry/core/resourcequotas/'), limitRanges: new PresenceCache(o.backend, '/registry/core/limitranges/') };
    this.now = o.now ?? (() => new Date());
    this.crds = new CrdController({ registry: o.registry, backend: o.backend, store: this.store, now: this.now, onUnserve: (defs) => this.watches.closeFor(defs) });
    if (o.serviceAccountKey) this.serviceAccountTokens = new ServiceAccountTokens(o.serviceAccountKey, { now: this.now });
    if (o.serviceCidr) this.serviceAllocation = new ServiceAllocation(o.backend, o.serviceCidr, parsePortRange(o.serviceNodePortRange ?? '30000-32767'));
  }

  /**
   * The `kubernetes` Service, and this server among its endpoints for as long as it runs
   * (the lease endpoint reconciler: every live server on the datastore is listed) until
   * unpublishApiEndpoints().
   */
  async publishApiEndpoints(address: string, port: number, o: EndpointPublishOptions): Promise<void> {
    if (!this.serviceAllocation) return;
    await ensureKubernetesService(this.o.registry, this.store, this.serviceAllocation, intToIp(this.serviceAllocation.cidr.base + 1), port);
    this.apiEndpoints = new EndpointLeaseReconciler({
      registry: this.o.registry,
      store: this.store,
      service: { namespace: 'default', name: 'kubernetes' },
      ports: (p) => [{ name: 'https', port: p, protocol: 'TCP' }],
      sliceLabels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      writeEndpoints: true,
      address,
      port,
      ...o,
    });
    await this.apiEndpoints.start();
  }

  /** On shutdown (upstream's RemoveEndpoints): this server leaves the `kubernetes` endpoints now, not after its lease expires. */
  async unpublishApiEndpoints(): Promise<void> {
    const r = this.apiEndpoints;
    this.apiEndpoints = undefined;
    await r?.stop();
  }

  async bootstrap(): Promise<void> {
    const def = this.o.registry.lookup('', 'v1', 'namespaces')!;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (await this.store.tryGet(def, undefined, name)) continue;
      const ns: any = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: crypto.randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } };
      def.defaults?.(ns);
      def.prepareForCreate?.(ns);
      try {
        await this.store.create(def, ns);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
    await this.bootstrapPriorityClasses();
    await bootstrapLocalPathStorageClass(this.o.registry, this.store);
    await reconcileBootstrapPolicy(this.o.registry, this.store, this.now);
    await this.policy?.ready();
    await this.crds.start();
  }

  /** Throws 403 Forbidden unless the authorizer allows the request. */
  private async authorize(a: Attributes): Promise<void> {
    if (!this.authorizer) return;
    const d = await this.authorizer.authorize(a);
    if (!d.allowed) throw forbidden(a, d.reason);
  }

  /** The user the request acts as: the authenticated one, or whom it may impersonate. */
  private actingAs(req: IncomingMessage, user: UserInfo): Promise<UserInfo> | UserInfo {
    return this.authorizer && wantsImpersonation(req) ? impersonate(req, user, this.authorizer) : user;
  }

  /** The built-in PriorityClasses every cluster has. */
  private async bootstrapPriorityClasses(): Promise<void> {
    const def = this.o.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses');
    if (!def) return;
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      if (await this.store.tryGet(def, undefined, pc.name)) continue;
      const obj: any = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc.name, uid: crypto.randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, value: pc.value, description: pc.description, globalDefault: false };
      def.defaults?.(obj);
      try {
        await this.store.create(def, obj);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
  }

  /**
   * The `kube-dns` Service at the cluster DNS address, with this server's DNS at
   * address:port among its endpoints (as the API's, one lease per server) until the
   * returned reconciler is stopped.
   */
  async publishDns(clusterDns: string, address: string, port: number, o: EndpointPublishOptions): Promise<EndpointLeaseReconciler> {
    await ensureDnsService(this.o.registry, this.store, this.serviceAllocation, clusterDns, port);
    const r = new EndpointLeaseReconciler({
      registry: this.o.registry,
      store: this.store,
      service: { namespace: 'kube-system', name: 'kube-dns' },
      ports: (p) => [
        { name: 'dns', port: p, protocol: 'UDP' },
        { name: 'dns-tcp', port: p, protocol: 'TCP' },
      ],
      sliceLabels: DNS_LABELS,
      writeEndpoints: false,
      address,
      port,
      ...o,
    });
    await r.start();
    return r;
  }

  /** Starts scraping node agents for the metrics.k8s.io API (until close()). */
  startMetricsScraper(log?: Logger): void {
    if (!this.o.kubeletClient || this.metrics) return;
    this.metrics = new MetricsScraper({ registry: this.o.registry, store: this.store, kubelet: this.o.kubeletClient, resolutionMs: this.o.metricResolutionMs ?? 15_000, log });
    this.metrics.start();
  }

  /** Repairs Service allocations now and every few minutes until close(). */
  startAllocationRepair(log?: { info: (m: string, f?: any) => void; error: (m: string, f?: any) => void }, everyMs = 3 * 60_000): void {
    const a = this.serviceAllocation;
    if (!a) return;
    const def = this.o.registry.lookup('', 'v1', 'services')!;
    const run = () =>
      repairServiceAllocations(this.o.backend, def, a).then(
        (r) => (r.marked || r.released ? log?.info('service allocations repaired', r) : undefined),
        (err) => log?.error('service allocation repair failed', { err }),
      );
    void run();
    this.repairTimer = setInterval(run, everyMs);
    this.repairTimer.unref();
  }

  /** The user of a service-account bearer token, or undefined (not one, or no longer valid). */
  async authenticateServiceAccountToken(token: string): Promise<UserInfo | undefined> {
    const t = this.serviceAccountTokens;
    if (!t) return undefined;
    const legacy = t.legacy(token);
    if (legacy) return this.authenticateLegacyToken(token, legacy);
    return t.authenticate(token, async (kind, ns, name) => {
      const def = this.o.registry.lookup('', 'v1', kind === 'ServiceAccount' ? 'serviceaccounts' : kind === 'Pod' ? 'pods' : 'secrets')!;
      const obj = await this.store.tryGet(def, ns, name);
      // A terminating pod's tokens stay valid until 60 s past its deletionTimestamp (the end
      // of its grace period), as upstream's validator allows, so it can still shut down cleanly.
      const deleting = obj?.metadata.deletionTimestamp;
      if (kind === 'Pod' && deleting && Date.parse(deleting) < this.now().getTime() - 60_000) return undefined;
      return obj?.metadata.uid;
    });
  }

  /** A Secret-based token: valid while its Secret holds it and its ServiceAccount lives (serviceaccount/legacy.ts). */
  private async authenticateLegacyToken(token: string, s: LegacyTokenSubject): Promise<UserInfo | undefined> {
    const defs = { ServiceAccount: this.o.registry.lookup('', 'v1', 'serviceaccounts')!, Secret: this.o.registry.lookup('', 'v1', 'secrets')! };
    const ok = await validateLegacyToken(token, s, (kind, ns, name) => this.store.tryGet(defs[kind], ns, name));
    if (!ok) return undefined;
    // LegacyServiceAccountTokenTracking: label the Secret with the day it was last used, at
    // most one write a day; a failed write does not fail the request.
    const today = lastUsedDate(this.now());
    if (ok.secret.metadata.labels?.[LAST_USED_LABEL] !== today) {
      const next = structuredClone(ok.secret);
      next.metadata.labels = { ...(next.metadata.labels ?? {}), [LAST_USED_LABEL]: today };
      void this.store.update(defs.Secret, next, Number(ok.secret.metadata.resourceVersion)).catch(() => undefined);
    }
    return ok.user;
  }

  async close(): Promise<void> {
    if (this.repairTimer) clearInterval(this.repairTimer);
    this.apiEndpoints?.halt();
    this.crds.close();
    this.watches.closeAll();
    this.namespaces.close();
    this.admissionCaches.quotas.close();
    this.admissionCaches.limitRanges.close();
    this.policy?.close();
    await this.metrics?.stop();
  }

  async handle(req: IncomingMessage, res: ServerResponse, authenticated: UserInfo): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    try {
      const user = await this.actingAs(req, authenticated);
      const p = parsePath(path);
      if (path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') await this.authorize({ user, verb: req.method === 'POST' ? 'create' : (req.method ?? 'get').toLowerCase(), resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'selfsubjectreviews' });
      else if (p.type !== 'resource') await this.authorize(nonResourceAttributes(user, req.method ?? 'GET', url.pathname));
      if (path === '/.well-known/openid-configuration' && this.serviceAccountTokens && req.method === 'GET') {
        sendJson(res, 200, this.serviceAccountTokens.openidConfiguration(`${this.serviceAccountTokens.issuer}/openid/v1/jwks`));
        return true;
      }
      if (path === '/openid/v1/jwks' && this.serviceAccountTokens && req.method === 'GET') {
        sendJson(res, 200, this.serviceAccountTokens.jwks());
        return true;
      }
      if (path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
        if (req.method !== 'POST') throw errors.methodNotSupported('selfsubjectreviews', req.method ?? '');
        selfSubjectReview(res, user);
        return true;
      }
      if (path === '/openapi/v3' || path.startsWith('/openapi/v3/') || path === '/openapi/v2') return this.openapi(path, req, res);
      const reg = this.o.registry;
      const accept = req.headers.accept;
      switch (p.type) {
        case 'other':
          return false;
        case 'api-root': {
          const v = wantsAggregated(accept);
          if (v) return this.sendAggregated(res, aggregated(reg, true, `apidiscovery.k8s.io/${v}`), v);
          sendJson(res, 200, apiVersions(this.o.serverAddress ?? '127.0.0.1:6443'));
          return true;
        }
        case 'apis-root': {
          const v = wantsAggregated(accept);
          if (v) return this.sendAggregated(res, aggregated(reg, false, `apidiscovery.k8s.io/${v}`), v);
          sendJson(res, 200, apiGroupList(reg));
          return true;
        }
        case 'group': {
          const versions = reg.groups().get(p.group);
          if (!versions) throw notFoundResource();
          sendJson(res, 200, apiGroup(p.group, versions));
          return true;
        }
        case 'group-version': {
          const l = apiResourceList(reg, p.group, p.version);
          if (!l) throw notFoundResource();
          sendJson(res, 200, l);
          return true;
        }
        case 'resource':
          await this.resource(req, res, user, p.info, url.searchParams);
          return true;
      }
    } catch (err) {
      sendError(res, err);
      return true;
    }
  }

  /**
   * A protocol upgrade (websocket or SPDY) on pods/exec, attach or portforward: checked
   * here, then proxied to the pod's node. Returns false for anything else.
   */
  async handleUpgrade(req: IncomingMessage, sock: Duplex, head: Buffer, authenticated: UserInfo): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = parsePath(url.pathname.replace(/\/+$/, ''));
    if (p.type !== 'resource') return false;
    const { info } = p;
    const sub = info.subresource as StreamSubresource | undefined;
    if (info.group || info.plural !== 'pods' || !info.namespace || !info.name || (sub !== 'exec' && sub !== 'attach' && sub !== 'portforward')) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'POST') throw errors.methodNotSupported(`pods/${sub}`, req.method ?? '');
      const attrs = resourceAttributes(await this.actingAs(req, authenticated), req.method, info, url.searchParams);
      await this.authorize(attrs);
      // AuthorizePodWebsocketUpgradeCreatePermission (on by default since 1.31): a websocket
      // GET that opens exec, attach or portforward needs `create` too.
      if (attrs.verb === 'get') await this.authorize({ ...attrs, verb: 'create' });
      const def = this.o.registry.lookup('', info.version, 'pods');
      if (!def) throw notFoundResource();
      const pod = await this.store.get(def, info.namespace, info.name);
      const path = streamPath(pod, sub, url.searchParams);
      await proxyUpgrade({ registry: this.o.registry, store: this.store, now: this.now, watches: this.watches }, req, sock, head, pod, path, this.o.kubeletClient);
    } catch (err) {
      writeUpgradeError(sock, err);
    }
    return true;
  }

  private sendAggregated(res: ServerResponse, body: any, v: string): true {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`, 'Content-Length': String(Buffer.byteLength(text)) });
    res.end(text);
    return true;
  }

  private openapi(path: string, req: IncomingMessage, res: ServerResponse): true {
    const reg = this.o.registry;
    if (path === '/openapi/v2') {
      const accept = String(req.headers.accept ?? '');
      if (accept.includes('com.github.proto-openapi.spec.v2')) {
        // Older kubectl (≤ 1.28) insists on fetching the v2 document as protobuf before it
        // applies; it reads schemas from /openapi/v3 and falls back to its built-in types, so a
        // minimal valid gnostic Document (just swagger: "2.0") satisfies it.
        const body = openapiV2Protobuf();
        res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': String(body.length) });
        res.end(body);
        return true;
      }
      if (accept && !accept.includes('json') && !accept.includes('*/*')) throw errors.notAcceptable('only application/json is served for /openapi/v2');
      sendJson(res, 200, openapiV2(reg));
      return true;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openapiV3Index(reg));
      return true;
    }
    const doc = openapiV3Doc(reg, path.slice('/openapi/v3/'.length));
    if (!doc) throw notFoundResource();
    sendJson(res, 200, doc.doc, { ETag: `"${doc.hash}"`, 'Cache-Control': 'public, immutable' });
    return true;
  }

  private async resource(req: IncomingMessage, res: ServerResponse, user: UserInfo, info0: import('./request-info.js').RequestInfo, query: URLSearchParams): Promise<void> {
    let info = info0;
    // /api/v1/namespaces/{name}/status|finalize address the namespace itself.
    if (!info.group && info.namespace && !info.name && (info.plural === 'status' || info.plural === 'finalize')) info = { ...info, plural: 'namespaces', name: info.namespace, subresource: info.plural, namespace: undefined };
    // As kube-apiserver, authorization comes before routing: a caller not allowed gets 403 even for what does not exist.
    await this.authorize(resourceAttributes(user, req.method ?? 'GET', info, query));
    const def = this.o.registry.lookup(info.group, info.version, info.plural);
    if (!def) throw notFoundResource();
    if (!def.namespaced && info.namespace) throw notFoundResource();
    const format = negotiate(req.headers.accept, query.get('includeObject'));
    const ctx: RequestContext = { req, res, user, info, def, query, format, warnings: [], registry: this.o.registry, store: this.store, now: this.now, watches: this.watches, serviceAllocation: this.serviceAllocation, namespaces: this.namespaces, admissionCaches: this.admissionCaches, authorizer: this.authorizer };
    if (def.group === 'authorization.k8s.io') return accessReview(ctx, this.authorizer);
    if (def.group === 'metrics.k8s.io') return serveMetrics(ctx, this.metrics?.storage);
    const m = req.method ?? 'GET';
    const sub = info.subresource;
    const isWatch = info.legacyWatch || query.get('watch') === 'true' || query.get('watch') === '1';
    if (sub) {
      if (sub === 'status' && def.subresources?.status) {
        if (m === 'GET') return get(ctx);
        if (m === 'PUT') return update(ctx, 'status');
        if (m === 'PATCH') return patch(ctx, 'status');
      } else if (sub === 'scale' && def.subresources?.scale && ['GET', 'PUT', 'PATCH'].includes(m)) return scale(ctx);
      else if (sub === 'binding' && def.plural === 'pods' && !def.group && m === 'POST') return binding(ctx);
      else if (sub === 'eviction' && def.plural === 'pods' && !def.group && m === 'POST') return eviction(ctx);
      else if (sub === 'token' && def.plural === 'serviceaccounts' && !def.group && m === 'POST') return tokenRequest(ctx, this.serviceAccountTokens);
      else if (sub === 'finalize' && def.plural === 'namespaces' && m === 'PUT') return finalize(ctx);
      else if (sub === 'log' && def.plural === 'pods' && !def.group && m === 'GET') return podLog(ctx, req, res, await this.store.get(def, info.namespace, info.name!), query, this.o.kubeletClient);
      else if ((sub === 'exec' || sub === 'attach' || sub === 'portforward') && def.plural === 'pods' && !def.group && (m === 'GET' || m === 'POST')) throw errors.badRequest('Upgrade request required');
      else throw notFoundResource();
      throw errors.methodNotSupported(`${def.plural}/${sub}`, m);
    }
    if (info.name === undefined) {
      if (m === 'GET') return isWatch ? watch(ctx) : list(ctx);
      if (m === 'POST') return create(ctx);
      if (m === 'DELETE') return deleteCollection(ctx);
      throw errors.methodNotSupported(def.plural, m);
    }
    if (def.namespaced && !info.namespace) throw notFoundResource();
    switch (m) {
      case 'GET':
        return isWatch ? watch(ctx) : get(ctx);
      case 'PUT':
        return update(ctx);
      case 'PATCH':
        return patch(ctx);
      case 'DELETE':
        return del(ctx);
      default:
        throw errors.methodNotSupported(def.plural, m);
    }
  }
}
