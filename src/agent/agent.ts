/**
 * The node agent (kubelet): registers its Node, renews its Lease, waits for a pod CIDR,
 * and runs a pod worker for every pod bound to it. Pods reach it through a shared pod
 * informer (one per process, however many nodes — hollow nodes share it), container
 * exits through runtime events, so nothing polls.
 */
import type { Clientset, InformerFactory } from '../client/clientset.js';
import { keyOf } from '../client/cache.js';
import { isNotFound } from '../client/rest.js';
import { runWorkers } from '../client/controller.js';
import { sleep } from '../client/informer.js';
import { WorkQueue } from '../client/workqueue.js';
import type { Logger } from '../util/log.js';
import { EventRecorder } from '../controllers/common/events.js';
import { LEASE_RENEW_MS, registerNode, renewLease, type NodeIdentity } from './node-status.js';
import { PodWorkers } from './pod-worker.js';
import { podReferences } from './config-source.js';
import { claimSource, informerConfigSource } from './informer-config-source.js';
import { hasTokenVolume, tokenRequestProvider, type ServiceAccountTokenProvider } from './service-account-token.js';
import { cleanupOrphanedPodDirs } from './volumes/pod-volumes.js';
import type { Runtime } from './runtime/types.js';
import type { PodSpecOptions } from './pod-spec.js';

export interface NodeAgentOptions {
  cs: Clientset;
  informers: InformerFactory;
  identity: NodeIdentity;
  /** Makes the runtime once the node's pod CIDR is known. */
  runtime: (podCidr: string) => Runtime | Promise<Runtime>;
  /** Pod spec → runtime config settings (cluster DNS, pod log root, ...). */
  podSpec?: PodSpecOptions;
  log: Logger;
  workers?: number;
  /** False on simulated nodes: httpGet/tcpSocket/grpc probes and hooks succeed without traffic. */
  probeNetwork?: boolean;
  /** Pulling/Pulled/Created/Started/Failed events (real nodes; hollow nodes skip them). */
  containerEvents?: boolean;
  /** How often the Node status is re-posted even if unchanged (kubelet: 5 min). */
  statusReportMs?: number;
  /** Where pod volumes and files go (<rootDir>/pods/<uid>): real runtimes only; env is resolved everywhere. */
  podConfig?: { rootDir?: string; clusterDomain?: string; mountTmpfs?: boolean };
  /** Tokens for projected serviceAccountToken sources (default: the TokenRequest API, as the kubelet). */
  serviceAccountToken?: ServiceAccountTokenProvider;
  /** How often pods with token volumes are resynced so their tokens get refreshed (kubelet's --sync-frequency, 1 min). */
  tokenResyncMs?: number;
}

export class NodeAgent {
  private readonly queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 30_000 });
  private workers?: PodWorkers;
  private runtime?: Runtime;

  constructor(readonly o: NodeAgentOptions) {}

  get nodeName(): string {
    return this.o.identity.name;
  }

  /** The node's runtime, once its pod CIDR is known (the streaming server reads it). */
  get containerRuntime(): Runtime | undefined {
    return this.runtime;
  }

  /** Called by the pod dispatcher for every event about a pod bound to this node. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, identity, log } = this.o;
    let node: any;
    for (let attempt = 0; !node && !signal.aborted; attempt++) {
      try {
        node = await registerNode(cs, identity, new Date());
      } catch (err) {
        log.warn('node registration failed, retrying', { node: identity.name, err });
        await sleep(Math.min(5000, 200 * 2 ** attempt), signal);
      }
    }
    if (signal.aborted) return;
    log.info('node registered', { node: identity.name });
    void this.heartbeat(node.metadata.uid, signal);

    const nodes = this.o.informers.informer('nodes');
    await nodes.waitForSync(signal);
    let podCidr: string | undefined;
    while (!signal.aborted && !(podCidr = nodes.cache.getByName(undefined, identity.name)?.spec?.podCIDR)) await sleep(100, signal);
    if (signal.aborted) return;
    this.runtime = await this.o.runtime(podCidr!);
    const pods = this.o.informers.informer('pods');
    const recorder = new EventRecorder(cs, 'kubelet', log, identity.name);
    // Objects from list responses carry no kind: events name the Pod so `kubectl describe` finds them.
    const events = { event: (pod: any, type: 'Normal' | 'Warning', reason: string, message: string) => recorder.event({ apiVersion: 'v1', kind: 'Pod', ...pod }, type, reason, message) };
    const source = { ...informerConfigSource(this.o.informers, () => identity.capacity, signal), ...claimSource(cs), serviceAccountToken: this.o.serviceAccountToken ?? tokenRequestProvider(cs) };
    const config = { source, events, ...this.o.podConfig };
    const secrets = cs.resource('secrets');
    this.workers = new PodWorkers({
      runtime: this.runtime,
      pods: cs.resource('pods'),
      nodeName: identity.name,
      hostIP: identity.hostIP,
      log,
      spec: this.o.podSpec,
      getSecret: (ns, name) => secrets.get(ns, name).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err))),
      config,
      probeNetwork: this.o.probeNetwork,
      containerEvents: this.o.containerEvents,
      enqueue: (key) => this.queue.add(key),
      event: (pod, fieldPath, type, reason, message) => recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, type, reason, message, fieldPath),
    });
    this.runtime.onContainerEvent((c) => {
      const key = this.workers?.observe(c);
      if (key) this.queue.add(key);
    });
    await pods.waitForSync(signal);
    const mine = pods.cache.list().filter((p: any) => p.spec?.nodeName === identity.name);
    await this.adoptRunning(mine).catch((err) => log.error('adopting running pods failed', { node: identity.name, err }));
    // After adoption has removed the sandboxes of pods that are gone: their directories go too.
    if (this.o.podConfig?.rootDir) await cleanupOrphanedPodDirs(this.o.podConfig.rootDir, new Set(mine.map((p: any) => p.metadata.uid as string))).catch((err) => log.warn('cleaning up orphaned pod directories failed', { node: identity.name, err }));
    for (const p of mine) this.queue.add(keyOf(p));
    if (this.o.podConfig?.rootDir) void this.resyncTokenVolumes(signal);
    await runWorkers({
      name: `agent/${identity.name}`,
      queue: this.queue,
      workers: this.o.workers ?? 4,
      log,
      signal,
      sync: async (key) => {
        const pod = pods.cache.get(key);
        return this.workers!.sync(key, pod && pod.spec?.nodeName === identity.name ? pod : undefined);
      },
    });
    this.workers.close();
    await this.runtime.close();
  }

  /**
   * After a restart: the sandboxes an earlier agent process left are matched to their
   * pods by UID and adopted with their containers (which keep running, restart counts
   * unchanged); sandboxes of pods that are gone are stopped and removed.
   */
  private async adoptRunning(pods: any[]): Promise<void> {
    const rt = this.runtime!;
    const byUid = new Map(pods.map((p) => [p.metadata.uid, p]));
    const sandboxes = await rt.listSandboxes();
    const adopted = new Set<string>();
    // Ready sandboxes first. A pod with only a dead one (a reboot, say) is adopted with it:
    // its pod worker sees the sandbox gone and re-creates the pod, restart counts growing.
    sandboxes.sort((a, b) => Number(b.ready) - Number(a.ready));
    for (const sb of sandboxes) {
      const pod = byUid.get(sb.podUid);
      if (pod && !adopted.has(sb.podUid)) {
        const containers = await rt.listContainers(sb.id);
        this.workers!.adopt(keyOf(pod), sb.podUid, sb.id, pod.spec?.hostNetwork ? this.o.identity.hostIP : sb.ip, containers, pod);
        adopted.add(sb.podUid);
        continue;
      }
      this.o.log.info('removing a sandbox no pod needs', { node: this.o.identity.name, sandbox: sb.id, podUid: sb.podUid });
      await rt.stopPodSandbox(sb.id).catch(() => {});
      await rt.removePodSandbox(sb.id).catch(() => {});
    }
    if (adopted.size) this.o.log.info('adopted running pods', { node: this.o.identity.name, pods: adopted.size });
  }

  /** Resyncs this node's pods with service-account token volumes, so tokens are refreshed before they expire. */
  private async resyncTokenVolumes(signal: AbortSignal): Promise<void> {
    const pods = this.o.informers.informer('pods');
    while (!signal.aborted) {
      await sleep(this.o.tokenResyncMs ?? 60_000, signal).catch(() => {});
      if (signal.aborted) return;
      for (const p of pods.cache.list()) if (p.spec?.nodeName === this.o.identity.name && hasTokenVolume(p)) this.queue.add(keyOf(p));
    }
  }

  private async heartbeat(uid: string, signal: AbortSignal): Promise<void> {
    const { cs, identity, log } = this.o;
    let lastStatus = Date.now();
    while (!signal.aborted) {
      try {
        await renewLease(cs, { name: identity.name, uid }, new Date());
        if (Date.now() - lastStatus >= (this.o.statusReportMs ?? 300_000)) {
          await registerNode(cs, identity, new Date());
          lastStatus = Date.now();
        }
      } catch (err) {
        if (!signal.aborted) log.warn('heartbeat failed', { node: identity.name, err });
      }
      await sleep(LEASE_RENEW_MS, signal);
    }
  }
}

/** Routes pod informer events to the agent of the pod's node (one informer, many hollow nodes). */
export class PodDispatcher {
  private readonly agents = new Map<string, NodeAgent>();

  constructor(informers: InformerFactory) {
    const route = (pod: any) => {
      const a = pod?.spec?.nodeName && this.agents.get(pod.spec.nodeName);
      if (a) a.enqueue(keyOf(pod));
    };
    informers.informer('pods').addHandlers({
      onAdd: route,
      onUpdate: (old, cur) => {
        route(cur);
        if (old.spec?.nodeName !== cur.spec?.nodeName) route(old);
      },
      onDelete: route,
    });
    // A changed ConfigMap or Secret resyncs the pods using it: mounted copies update in
    // place, and containers waiting in CreateContainerConfigError retry at once.
    const pods = informers.informer('pods');
    const resync = (kind: 'configmap' | 'secret') => (obj: any) => {
      for (const p of pods.cache.list(obj.metadata?.namespace)) if (podReferences(p, kind, obj.metadata?.name)) route(p);
    };
    for (const [resource, kind] of [['configmaps', 'configmap'], ['secrets', 'secret']] as const) {
      const h = resync(kind);
      informers.informer(resource).addHandlers({ onAdd: h, onUpdate: (_old, cur) => h(cur) });
    }
    // A ServiceAccount that appears (the controller creates `default` just after its
    // namespace) lets pods waiting for their token volume mount at once.
    informers.informer('serviceaccounts').addHandlers({
      onAdd: (sa: any) => {
        for (const p of pods.cache.list(sa.metadata?.namespace)) if ((p.spec?.serviceAccountName || 'default') === sa.metadata?.name && hasTokenVolume(p)) route(p);
      },
    });
  }

  add(agent: NodeAgent): void {
    this.agents.set(agent.nodeName, agent);
  }
}
