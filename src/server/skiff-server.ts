/**
 * One skiff server process: the store, the API server and (as later milestones land)
 * the controllers, scheduler and the local agent, wired together with a clean start and
 * stop. The CLI, the tests and the benchmarks all start a server through this class.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { buildRegistry } from '../api/index.js';
import { createAuthenticator } from '../apiserver/auth.js';
import { ensurePki, issueClientCert, issueServingCert, loadOrCreateSecrets, type ClusterPki, type ClusterSecrets, type KeyCert } from '../apiserver/certs.js';
import { ApiHandler } from '../apiserver/handler.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { HttpsServer } from '../apiserver/server.js';
import { openBackend, type Backend } from '../store/index.js';
import type { Logger } from '../util/log.js';
import { RestClient } from '../client/rest.js';
import { Clientset, InformerFactory } from '../client/clientset.js';
import { runNodeProxy } from '../proxy/node-proxy.js';
import { startClusterDns } from './cluster-dns.js';
import { runControllerManager, runScheduler, runSimulatedAgents } from './components.js';
import { serverIdentity } from './identity.js';
import { BootstrapTokenError, ensureSharedSecrets } from './bootstrap-secrets.js';
import { resolveClusterToken, tokenPath } from './token.js';
import { firstIp, type ServerConfig } from './config.js';
import { backendSpec, noticeSqliteStore } from './datastore.js';
import { criPrerequisites, defaultNodeIP, startRealNode } from '../agent/real-node.js';

export interface RunningInfo {
  url: string;
  port: number;
  kubeconfigPath: string;
}

function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address);
  }
  return out;
}

/**
 * Where the API is reached: `local` for this machine (kubeconfig, in-process components)
 * and `advertise`, published as the `kubernetes` Service's endpoint as kube-apiserver
 * publishes its --advertise-address. With a real local node the default is the node's IP,
 * so that pods reach the API through 10.43.0.1:443; otherwise the bind address.
 */
export function apiAddresses(c: Pick<ServerConfig, 'bindAddress' | 'advertiseAddress' | 'nodeIP'>, realNode: boolean, nodeIP = () => c.nodeIP ?? defaultNodeIP()): { local: string; advertise: string } {
  const bindIsAny = c.bindAddress === '0.0.0.0' || c.bindAddress === '::';
  const local = bindIsAny ? '127.0.0.1' : c.bindAddress;
  if (c.advertiseAddress) return { local, advertise: c.advertiseAddress };
  const ip = realNode ? nodeIP() : undefined;
  return { local, advertise: ip && !ip.startsWith('127.') ? ip : local };
}

export class SkiffServer {
  private backend?: Backend;
  private handler?: ApiHandler;
  private https?: HttpsServer;
  private isReady = false;
  private readonly components = new AbortController();
  private rest?: RestClient;
  private running: Promise<unknown>[] = [];
  /** Work that must finish on stop however long it takes (bounded): the local node's containerd. */
  private closing: Promise<unknown>[] = [];
  pki?: ClusterPki;
  private token?: string;
  private nodeServing?: KeyCert;
  /** Stable per data dir: leader election and endpoint leases name this server by it. */
  private identity?: string;

  constructor(readonly config: ServerConfig, private readonly log: Logger) {}

  async start(): Promise<RunningInfo> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true, mode: 0o700 });
    const t0 = Date.now();

    this.backend = await openBackend(backendSpec(c));
    this.log.child('store').info('ready', { backend: this.backend.name, revision: await this.backend.currentRevision() });
    await noticeSqliteStore(c, this.backend, this.log.child('store'));

    const bindIsAny = c.bindAddress === '0.0.0.0' || c.bindAddress === '::';
    const { local, advertise } = apiAddresses(c, this.runsRealNode());
    const ips = [firstIp(c.serviceCidr), ...(bindIsAny ? hostAddresses() : [c.bindAddress]), advertise, ...c.tlsSan.filter((s) => /^[\d.:a-f]+$/i.test(s))];
    const dns = [hostname(), ...c.tlsSan.filter((s) => !/^[\d.:a-f]+$/i.test(s))];
    const tlsDir = join(c.dataDir, 'tls');
    let token = c.token;
    let shared: ClusterSecrets | undefined;
    if (c.datastoreEndpoint) {
      // Servers on one datastore share the CA, admin credentials and service-account key.
      const t = resolveClusterToken(c.dataDir, c.token);
      token = t.token;
      if (t.generated) this.log.warn('no --token given: generated one; other servers and agents join with it', { file: tokenPath(c.dataDir) });
      try {
        shared = (await ensureSharedSecrets({ backend: this.backend, token, generate: () => loadOrCreateSecrets(tlsDir), log: this.log.child('bootstrap') })).secrets;
      } catch (err) {
        if (err instanceof BootstrapTokenError && !c.token) throw new BootstrapTokenError(`${err.message} (no --token was given: pass the first server's, from its <data-dir>/token)`, { cause: err });
        throw err;
      }
    }
    this.pki = await ensurePki({ dir: tlsDir, sans: { dns, ips }, shared });

    const registry = buildRegistry();
    // The API server's client certificate towards node agents (kube-apiserver's --kubelet-client-certificate).
    const kubeletClient = await issueClientCert(this.pki.ca, 'kube-apiserver-kubelet-client', ['system:masters']);
    this.handler = new ApiHandler({
      registry,
      backend: this.backend,
      serverAddress: `${advertise}:${c.httpsListenPort}`,
      serviceCidr: c.serviceCidr,
      serviceNodePortRange: c.serviceNodePortRange,
      kubeletClient: { caPem: this.pki.ca.certPem, certPem: kubeletClient.certPem, keyPem: kubeletClient.keyPem },
      serviceAccountKey: this.pki.serviceAccountKey,
      authorizationMode: c.authorizationMode,
      metricResolutionMs: c.metricResolutionMs,
    });
    this.token = token;
    // Hollow nodes in this process share one serving certificate for their streaming endpoints.
    if (c.simulatedNodes > 0 && !c.disableControllers) this.nodeServing = await issueServingCert(this.pki.ca, 'CN=system:node:skiff-simulated, O=system:nodes', { dns: ['localhost'], ips: ['127.0.0.1'] });
    await this.handler.bootstrap();

    // skiff's own components authenticate in system:masters, which RBAC allows everything
    // (as kube-apiserver's loopback identity): the in-process controllers, scheduler, agents
    // and proxy (system:skiff-server), agents and servers joining with the cluster token
    // (system:skiff-token) and the API server towards agents (kube-apiserver-kubelet-client).
    // Upstream instead gives each its own user and role (system:kube-controller-manager,
    // system:kube-scheduler, system:node:<name>); a node's certificate (O=system:nodes) holds
    // the system:node rules here too.
    const authenticator = createAuthenticator({
      tokens: token ? [{ token, user: { name: 'system:skiff-token', groups: ['system:masters', 'system:authenticated'] } }] : [],
      serviceAccountTokens: (t) => this.handler!.authenticateServiceAccountToken(t),
    });
    this.https = new HttpsServer({
      pki: this.pki,
      handler: this.handler,
      authenticator,
      host: c.bindAddress,
      port: c.httpsListenPort,
      // Pods reach the API through the `kubernetes` Service, DNAT-ed to the advertise
      // address: a loopback listener alone is out of their reach. Anyone on the node's
      // network may connect there too, as to k3s's 0.0.0.0:6443; every request but the
      // public health and version paths must authenticate.
      alsoOn: bindIsAny ? [] : [advertise],
      log: this.log.child('apiserver'),
      ready: () => this.isReady,
    });
    const addr = await this.https.start();
    const url = `https://${local.includes(':') ? `[${local}]` : local}:${addr.port}`;
    this.log.child('apiserver').info('listening', { url, also: this.https.hosts.slice(1) });
    let published = advertise;
    if (!bindIsAny && !this.https.hosts.includes(advertise)) {
      this.log.child('apiserver').warn('not listening on the advertise address: the kubernetes Service points at the bind address, out of pods\' reach', { advertise });
      published = local;
    }
    this.identity = serverIdentity(c.dataDir);
    await this.handler.publishApiEndpoints(published, addr.port, { identity: this.identity, ttlMs: c.endpointReconcilerTtlMs, log: this.log.child('apiserver') });
    this.handler.startAllocationRepair(this.log.child('apiserver'));
    this.handler.startMetricsScraper(this.log.child('metrics'));

    const kubeconfigPath = join(c.dataDir, 'kubeconfig.yaml');
    const kc = { server: url, caPem: this.pki.ca.certPem, client: this.pki.admin };
    writeKubeconfig(kubeconfigPath, kc);
    if (c.writeKubeconfig) writeKubeconfig(c.writeKubeconfig, kc);
    this.startComponents(url);
    this.isReady = true;
    this.log.info('skiff is ready', { kubeconfig: c.writeKubeconfig ?? kubeconfigPath, startupMs: Date.now() - t0 });
    return { url, port: addr.port, kubeconfigPath: c.writeKubeconfig ?? kubeconfigPath };
  }

  /** A client for in-process components: the API handler called directly (after start()). */
  localClient(userAgent = 'skiff-server'): RestClient {
    return new RestClient(
      { server: 'https://in-process.invalid', caPem: this.pki!.ca.certPem },
      { userAgent, local: { handler: this.handler!, user: { name: 'system:skiff-server', groups: ['system:masters', 'system:authenticated'] } } },
    );
  }

  /** The cluster DNS server, published as the kube-dns Service (on the local node's address when one runs). */
  private startDns(shared: InformerFactory, signal: AbortSignal): Promise<void> {
    const c = this.config;
    return startClusterDns({ config: c, informers: shared, handler: this.handler!, log: this.log.child('dns'), identity: this.identity!, nodeIP: this.runsRealNode() ? (c.nodeIP ?? defaultNodeIP()) : undefined }, signal);
  }

  /** Whether this process runs a real local node (containerd): its pods need the API and DNS on the node's address. */
  private runsRealNode(): boolean {
    const c = this.config;
    return !c.disableControllers && !c.disableAgent && c.simulatedNodes === 0 && criPrerequisites(c.containerRuntimeEndpoint).length === 0;
  }

  /** Controllers, scheduler and agents: API clients over loopback, exactly as separate processes would be. */
  private startComponents(url: string): void {
    const c = this.config;
    if (c.disableControllers) return;
    const signal = this.components.signal;
    // In-process components call the API handler directly (same semantics, no TLS/HTTP cost).
    this.rest = new RestClient(
      { server: url, caPem: this.pki!.ca.certPem, certPem: this.pki!.admin.certPem, keyPem: this.pki!.admin.keyPem },
      { maxSockets: 64, userAgent: 'skiff-server', local: { handler: this.handler!, user: { name: 'system:skiff-server', groups: ['system:masters', 'system:authenticated'] } } },
    );
    setMaxListeners(0, signal);
    const identity = this.identity ?? serverIdentity(c.dataDir);
    const log = this.log;
    // One set of informers for every component of this process: each object is decoded
    // and cached once, not once per component.
    const shared = new InformerFactory(new Clientset(this.rest, 'skiff-server'), log.child('informers'));
    shared.start(signal);
    if (!c.disableControllerManager) this.running.push(runControllerManager({ rest: this.rest, shared, log: log.child('controller-manager'), identity, leaderElection: c.leaderElection, clusterCidr: c.clusterCidr, serviceAccountKeyPem: this.pki?.serviceAccountKey, podGc: c.podGc, storage: this.storageOptions(), hpa: c.hpa }, signal));
    if (!c.disableScheduler) this.running.push(runScheduler({ rest: this.rest, shared, log: log.child('scheduler'), identity, leaderElection: c.leaderElection, config: c.schedulerConfig }, signal));
    if (c.simulatedNodes > 0) {
      const streaming = this.nodeServing && { tls: { ...this.nodeServing, caPem: this.pki!.ca.certPem }, token: this.token };
      this.running.push(runSimulatedAgents({ rest: this.rest, shared, log: log.child('agent'), count: c.simulatedNodes, capacity: c.simulatedNodeCapacity, startDelayMs: c.simulatedStartDelayMs, logDir: join(c.dataDir, 'pod-logs'), streaming }, signal));
    }
    if (c.dnsListen) this.running.push(this.startDns(shared, signal));
    if (!c.disableAgent) void this.startLocalNode(shared, signal);
    log.info('components started', { identity, simulatedNodes: c.simulatedNodes });
  }

  /**
   * The local-path provisioner's directory (k3s's --default-local-storage-path, default
   * <data dir>/storage) and the nodes of this process — the local node and the simulated
   * ones — whose volume directories the controller may remove itself.
   */
  private storageOptions(): { localStoragePath: string; isLocalNode: (name: string) => boolean } {
    const c = this.config;
    const local = c.nodeName ?? hostname();
    const simulated = new Set(Array.from({ length: c.simulatedNodes }, (_, i) => `sim-node-${i}`));
    return { localStoragePath: c.defaultLocalStoragePath ?? join(c.dataDir, 'storage'), isLocalNode: (n) => (n === local && !c.disableAgent) || simulated.has(n) };
  }

  /**
   * The local node agent on the real runtime (containerd), as k3s's server runs its
   * kubelet. Simulated nodes replace it; without root or containerd the server runs
   * without a local node and says what is missing.
   */
  private async startLocalNode(shared: InformerFactory, signal: AbortSignal): Promise<void> {
    const c = this.config;
    const log = this.log.child('node');
    if (c.simulatedNodes > 0) {
      log.info('simulated nodes requested: no real local node');
      return;
    }
    const missing = criPrerequisites(c.containerRuntimeEndpoint);
    if (missing.length) {
      log.warn(`no local node: the cri runtime needs ${missing.join('; ')}. Pods stay Pending until a node joins (or run with --simulated-nodes N for hollow nodes)`);
      return;
    }
    const nodeName = c.nodeName ?? hostname();
    // The service proxy runs with the node (k3s's kube-proxy), from before its first pod.
    this.running.push(runNodeProxy({ rest: this.rest!, informers: shared, log: this.log.child('proxy'), nodeName, clusterCidr: c.clusterCidr, serviceCidr: c.serviceCidr, disabled: c.disableKubeProxy }, signal));
    try {
      const nodeName = c.nodeName ?? hostname();
      const nodeIP = c.nodeIP ?? defaultNodeIP();
      const serving = await issueServingCert(this.pki!.ca, `CN=system:node:${nodeName}, O=system:nodes`, { dns: [nodeName, 'localhost'], ips: [nodeIP, '127.0.0.1'] });
      const { done } = await startRealNode(
        {
          streaming: { tls: { ...serving, caPem: this.pki!.ca.certPem }, token: this.token },
          cs: new Clientset(this.rest!, 'skiff-agent'),
          informers: shared,
          log,
          dataDir: c.dataDir,
          nodeName,
          nodeIP: c.nodeIP,
          containerRuntimeEndpoint: c.containerRuntimeEndpoint,
          clusterCidr: c.clusterCidr,
          clusterDns: c.clusterDns,
          clusterDomain: c.clusterDomain,
          labels: { 'node-role.kubernetes.io/control-plane': 'true' },
        },
        signal,
      );
      this.closing.push(done);
    } catch (err) {
      if (!signal.aborted) log.error('the local node did not start', { err: String((err as Error).message ?? err) });
    }
  }

  async stop(): Promise<void> {
    this.isReady = false;
    // First of all, as kube-apiserver's shutdown: out of the `kubernetes` endpoints now (bounded).
    await Promise.race([this.handler?.unpublishApiEndpoints().catch((err) => this.log.warn('could not leave the kubernetes endpoints', { err: String(err) })), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.components.abort();
    await Promise.race([Promise.allSettled(this.running), new Promise((r) => setTimeout(r, 2000).unref())]);
    await Promise.race([Promise.allSettled(this.closing), new Promise((r) => setTimeout(r, 15_000).unref())]);
    this.rest?.close();
    await this.handler?.close();
    await this.https?.stop();
    await this.backend?.close();
    this.log.info('stopped');
  }
}
