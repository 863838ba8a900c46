/**
 * The `cri` runtime: the agent's Runtime interface over CRI v1 to containerd. Sandboxes
 * and containers carry the kubelet's labels (io.kubernetes.pod.uid, ...container.name)
 * plus skiff's node label, so a restarted agent finds and adopts what it started.
 * Images are pulled according to the container's imagePullPolicy (image-pull.ts).
 *
 * containerd 1.6 has no CRI container events: container exits are found by listing
 * containers (one cheap ListContainers) and diffing states — at once when containerd's
 * own event stream says a task exited, and every pollMs as a safety net; only
 * containers whose state changed are asked for their full status.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Logger } from '../../../util/log.js';
import {
  type ContainerConfig,
  type ContainerStats,
  type ContainerState,
  type ContainerStatus,
  type ExecResult,
  type Runtime,
  type SandboxConfig,
  type SandboxStatus,
  type StreamRequest,
} from '../types.js';
import { connectCri, CriError, nsToDate, type CriClient } from './client.js';
import { ensureImage } from './image-pull.js';
import { subscribeTaskEvents, type EventSubscription } from './events.js';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_NODE = 'skiff.dev/node';
const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
const ANNOTATION_SANDBOX_CONFIG = 'skiff.dev/sandbox-config';

export interface CriRuntimeOptions {
  /** containerd's socket (path or unix:// URL). */
  endpoint: string;
  /** Node name: sandboxes are labelled with it so one node never touches another's. */
  nodeName: string;
  log: Logger;
  /** How often container states are listed when no event came (ms). */
  pollMs?: number;
  /** Listen to containerd's task events to notice exits at once (default true). */
  events?: boolean;
  /** Version string for node status (e.g. containerd://1.6.20). */
  runtimeVersion?: string;
  /** Sandboxes started at once (default twice the CPUs, at least 4); more wait their turn in order. */
  maxSandboxStarts?: number;
}

/**
 * A first-come, first-served limit on concurrent work. Starting a sandbox is CPU-bound
 * (network namespace, CNI plugins, shim, runc): when a burst of pods arrives, starting
 * them a few at a time in arrival order gets the first ones Running early instead of
 * every one late, in about the same total time.
 */
class FifoGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

const STATES: Record<string, ContainerState> = { CONTAINER_CREATED: 'created', CONTAINER_RUNNING: 'running', CONTAINER_EXITED: 'exited', CONTAINER_UNKNOWN: 'unknown' };

export class CriRuntime implements Runtime {
  readonly name = 'containerd';
  private readonly cri: CriClient;
  private readonly listeners: ((c: ContainerStatus) => void)[] = [];
  /** PodSandboxConfig per sandbox id (CreateContainer and PullImage take it again). */
  private readonly sandboxConfigs = new Map<string, any>();
  /** Last state seen per container id, for the exit poller. */
  private readonly seen = new Map<string, string>();
  private readonly containerSandbox = new Map<string, string>();
  /** Ready state per sandbox id, to notice a sandbox that dies (its pause process killed). */
  private readonly sandboxReady = new Map<string, boolean>();
  /** Sandboxes stopped on purpose: their going not-ready is no news. */
  private readonly stoppedSandboxes = new Set<string>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private pollAgain = false;
  private events?: EventSubscription;
  private closed = false;
  private readonly sandboxStarts: FifoGate;

  constructor(private readonly o: CriRuntimeOptions) {
    this.cri = connectCri(o.endpoint);
    this.sandboxStarts = new FifoGate(o.maxSandboxStarts ?? Math.max(4, 2 * availableParallelism()));
    this.startPolling();
    if (o.events !== false)
      this.events = subscribeTaskEvents({
        endpoint: o.endpoint,
        namespace: 'k8s.io',
        topics: ['/tasks/exit'],
        // The CRI plugin records the exit from the same event: list now and once more a moment later.
        onTopic: () => {
          const relist = () => void this.poll().catch((err) => o.log.warn('listing containers failed', { err }));
          relist();
          for (const ms of [50, 250]) setTimeout(relist, ms).unref();
        },
        onError: (err) => o.log.debug('containerd event stream broke: re-subscribing', { err }),
      });
  }

  /** The exit poller; its first pass only learns states (the agent adopts what exists). */
  private startPolling(): void {
    const tick = async () => {
      if (this.closed) return;
      await this.poll().catch((err) => this.o.log.warn('listing containers failed', { err }));
      if (!this.closed) this.timer = setTimeout(tick, this.o.pollMs ?? (this.o.events === false ? 500 : 2000));
    };
    this.timer = setTimeout(tick, 0);
  }

  /** One relist at a time; a request during one runs another right after it (an exit may have come mid-list). */
  private poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.pollAgain = false;
          await this.relist();
        } while (this.pollAgain && !this.closed);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async relist(): Promise<void> {
    const res = await this.cri.runtime.ListContainers({ filter: { labelSelector: { [LABEL_NODE]: this.o.nodeName } } }, 10_000);
    const present = new Set<string>();
    for (const c of res.containers ?? []) {
      present.add(c.id);
      this.containerSandbox.set(c.id, c.podSandboxId);
      const before = this.seen.get(c.id);
      this.seen.set(c.id, c.state);
      if (before === undefined || before === c.state) continue;
      if (c.state !== 'CONTAINER_EXITED' && c.state !== 'CONTAINER_UNKNOWN') continue;
      const st = await this.containerStatus(c.id);
      if (st) for (const l of this.listeners) l(st);
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    for (const id of this.containerSandbox.keys()) if (!present.has(id)) this.containerSandbox.delete(id);
    await this.relistSandboxes(res.containers ?? []);
  }

  /** A sandbox that went not-ready by itself: its containers are reported so the pod gets synced (and the sandbox re-created). */
  private async relistSandboxes(containers: any[]): Promise<void> {
    const res = await this.cri.runtime.ListPodSandbox({ filter: { labelSelector: { [LABEL_NODE]: this.o.nodeName } } }, 10_000);
    const present = new Set<string>();
    for (const s of res.items ?? []) {
      present.add(s.id);
      const ready = s.state === 'SANDBOX_READY';
      const before = this.sandboxReady.get(s.id);
      this.sandboxReady.set(s.id, ready);
      if (before !== true || ready || this.stoppedSandboxes.has(s.id)) continue;
      this.o.log.info('pod sandbox died', { sandbox: s.id, pod: `${s.metadata?.namespace}/${s.metadata?.name}` });
      for (const c of containers.filter((x) => x.podSandboxId === s.id)) {
        const st = await this.containerStatus(c.id);
        if (st) for (const l of this.listeners) l(st);
      }
    }
    for (const id of this.sandboxReady.keys()) if (!present.has(id)) this.sandboxReady.delete(id);
    for (const id of this.stoppedSandboxes) if (!present.has(id)) this.stoppedSandboxes.delete(id);
  }

  private toCriSandboxConfig(cfg: SandboxConfig): any {
    return {
      metadata: { name: cfg.name, uid: cfg.podUid, namespace: cfg.namespace, attempt: 0 },
      // A host-network pod has the node's own hostname (CRI: empty for a NODE network).
      hostname: cfg.hostNetwork ? '' : (cfg.hostname ?? cfg.name),
      logDirectory: cfg.logDirectory ?? '',
      dnsConfig: cfg.dnsConfig,
      portMappings: (cfg.portMappings ?? []).map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' })),
      labels: { ...cfg.labels, [LABEL_POD_NAME]: cfg.name, [LABEL_POD_NAMESPACE]: cfg.namespace, [LABEL_POD_UID]: cfg.podUid, [LABEL_NODE]: this.o.nodeName },
      annotations: { ...cfg.annotations, [ANNOTATION_SANDBOX_CONFIG]: JSON.stringify({ ...cfg, annotations: undefined, labels: undefined }) },
      linux: {
        cgroupParent: cfg.cgroupParent ?? '',
        securityContext: { namespaceOptions: namespaceOptions(cfg) },
      },
    };
  }

  async runPodSandbox(cfg: SandboxConfig): Promise<SandboxStatus> {
    const config = this.toCriSandboxConfig(cfg);
    let podSandboxId: string;
    for (let attempt = 0; ; attempt++) {
      try {
        ({ podSandboxId } = await this.sandboxStarts.run(() => this.cri.runtime.RunPodSandbox({ config })));
        break;
      } catch (err) {
        // containerd picks up a just-written CNI config a moment later.
        if (attempt >= 50 || !(err instanceof CriError) || !/cni plugin not initialized|cni config uninitialized|network not ready/i.test(err.details)) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    this.sandboxConfigs.set(podSandboxId, config);
    // Known ready from here: a death before the next relist is still a change.
    this.sandboxReady.set(podSandboxId, true);
    const s = await this.cri.runtime.PodSandboxStatus({ podSandboxId });
    return { id: podSandboxId, podUid: cfg.podUid, ip: cfg.hostNetwork ? '' : (s.status?.network?.ip ?? ''), ready: s.status?.state === 'SANDBOX_READY' };
  }

  /** The sandbox's config: remembered, or rebuilt from its status after an agent restart. */
  private async sandboxConfig(id: string): Promise<any> {
    let cfg = this.sandboxConfigs.get(id);
    if (cfg) return cfg;
    const s = await this.cri.runtime.PodSandboxStatus({ podSandboxId: id });
    const saved = s.status?.annotations?.[ANNOTATION_SANDBOX_CONFIG];
    if (saved) {
      const { [ANNOTATION_SANDBOX_CONFIG]: _drop, ...annotations } = s.status.annotations;
      const labels = Object.fromEntries(Object.entries(s.status.labels ?? {}).filter(([k]) => ![LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_NODE].includes(k))) as Record<string, string>;
      cfg = this.toCriSandboxConfig({ ...JSON.parse(saved), annotations, labels });
    } else {
      cfg = { metadata: s.status?.metadata, labels: s.status?.labels, annotations: s.status?.annotations };
    }
    this.sandboxConfigs.set(id, cfg);
    return cfg;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.stoppedSandboxes.add(id);
    await ignoreNotFound(this.cri.runtime.StopPodSandbox({ podSandboxId: id }));
  }

  async podSandboxReady(id: string): Promise<boolean> {
    try {
      return (await this.cri.runtime.PodSandboxStatus({ podSandboxId: id })).status?.state === 'SANDBOX_READY';
    } catch (err) {
      if (err instanceof CriError && err.notFound) return false;
      throw err;
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    const cfg = await this.sandboxConfig(id).catch(() => undefined);
    await ignoreNotFound(this.cri.runtime.RemovePodSandbox({ podSandboxId: id }));
    this.sandboxConfigs.delete(id);
    // The pod's logs go with it, as the kubelet removes /var/log/pods/<pod>; only a
    // directory named for this pod's UID is ever removed.
    const dir: string | undefined = cfg?.logDirectory;
    const uid: string | undefined = cfg?.metadata?.uid;
    if (dir && uid && isAbsolute(dir) && dir.endsWith(`_${uid}`)) await rm(dir, { recursive: true, force: true }).catch(() => {});
    // runc leaves the pod's parent cgroup behind (the kubelet owns pod cgroups): remove it
    // in every hierarchy once empty, or every pod ever run leaves a directory.
    const parent: string | undefined = cfg?.linux?.cgroupParent;
    if (parent && uid && parent.endsWith(`/pod${uid}`)) await removeCgroup(parent);
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const sandboxConfig = await this.sandboxConfig(sandboxId);
    await ensureImage(this.cri, cfg, sandboxConfig);
    const attempt = cfg.restartCount ?? 0;
    const namespaces = sandboxConfig.linux?.securityContext?.namespaceOptions ?? { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
    const sc = cfg.securityContext ?? {};
    const id = (v: number | undefined) => (v === undefined ? undefined : { value: String(v) });
    const r = cfg.resources;
    const config = {
      metadata: { name: cfg.name, attempt },
      image: { image: cfg.image },
      command: cfg.command ?? [],
      args: cfg.args ?? [],
      workingDir: cfg.workingDir ?? '',
      envs: (cfg.env ?? []).map((e) => ({ key: e.name, value: e.value })),
      mounts: (cfg.mounts ?? []).map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: !!m.readOnly })),
      labels: {
        [LABEL_CONTAINER_NAME]: cfg.name,
        [LABEL_POD_NAME]: sandboxConfig.metadata?.name ?? '',
        [LABEL_POD_NAMESPACE]: sandboxConfig.metadata?.namespace ?? '',
        [LABEL_POD_UID]: sandboxConfig.metadata?.uid ?? '',
        [LABEL_NODE]: this.o.nodeName,
      },
      annotations: { [ANNOTATION_RESTART_COUNT]: String(attempt) },
      logPath: `${cfg.name}/${attempt}.log`,
      stdin: !!cfg.stdin,
      stdinOnce: !!cfg.stdinOnce,
      tty: !!cfg.tty,
      linux: {
        resources: r
          ? { cpuShares: String(r.cpuShares ?? 0), cpuQuota: String(r.cpuQuota ?? 0), cpuPeriod: String(r.cpuPeriod ?? 0), memoryLimitInBytes: String(r.memoryLimitBytes ?? 0), oomScoreAdj: String(r.oomScoreAdj ?? 0) }
          : undefined,
        securityContext: {
          namespaceOptions: namespaces,
          privileged: !!sc.privileged,
          runAsUser: id(sc.runAsUser),
          runAsGroup: sc.runAsUser !== undefined ? id(sc.runAsGroup) : undefined,
          readonlyRootfs: !!sc.readOnlyRootFilesystem,
          supplementalGroups: (sc.supplementalGroups ?? []).map(String),
          capabilities: sc.capabilities ? { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } : undefined,
          noNewPrivs: sc.allowPrivilegeEscalation === false,
        },
      },
    };
    const { containerId } = await this.cri.runtime.CreateContainer({ podSandboxId: sandboxId, config, sandboxConfig });
    this.containerSandbox.set(containerId, sandboxId);
    return containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.cri.runtime.StartContainer({ containerId: id });
    // Seen as running from here: the poller reports only later changes (the exit).
    this.seen.set(id, 'CONTAINER_RUNNING');
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await ignoreNotFound(this.cri.runtime.StopContainer({ containerId: id, timeout: String(Math.max(0, Math.floor(timeoutSeconds))) }, (timeoutSeconds + 60) * 1000));
  }

  async removeContainer(id: string): Promise<void> {
    await ignoreNotFound(this.cri.runtime.RemoveContainer({ containerId: id }));
    this.seen.delete(id);
    this.containerSandbox.delete(id);
  }

  private toStatus(s: any, sandboxId: string): ContainerStatus {
    return {
      id: s.id,
      sandboxId,
      name: s.metadata?.name ?? s.labels?.[LABEL_CONTAINER_NAME] ?? '',
      state: STATES[s.state] ?? 'unknown',
      createdAt: nsToDate(s.createdAt) ?? new Date(0),
      startedAt: nsToDate(s.startedAt),
      finishedAt: nsToDate(s.finishedAt),
      exitCode: s.state === 'CONTAINER_EXITED' ? s.exitCode : undefined,
      reason: s.reason || undefined,
      image: s.image?.image ?? '',
      imageId: s.imageRef ?? '',
      logPath: s.logPath || undefined,
      restartCount: Number(s.annotations?.[ANNOTATION_RESTART_COUNT] ?? s.metadata?.attempt ?? 0),
    };
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    let res;
    try {
      res = await this.cri.runtime.ContainerStatus({ containerId: id });
    } catch (err) {
      if (err instanceof CriError && err.notFound) return undefined;
      throw err;
    }
    let sandboxId = this.containerSandbox.get(id);
    if (!sandboxId) {
      const l = await this.cri.runtime.ListContainers({ filter: { id } });
      sandboxId = l.containers?.[0]?.podSandboxId ?? '';
      if (sandboxId) this.containerSandbox.set(id, sandboxId);
    }
    return this.toStatus(res.status, sandboxId ?? '');
  }

  async listContainers(sandboxId?: string): Promise<ContainerStatus[]> {
    const filter: any = { labelSelector: { [LABEL_NODE]: this.o.nodeName } };
    if (sandboxId) filter.podSandboxId = sandboxId;
    const res = await this.cri.runtime.ListContainers({ filter });
    const out: ContainerStatus[] = [];
    for (const c of res.containers ?? []) {
      this.containerSandbox.set(c.id, c.podSandboxId);
      const s = await this.containerStatus(c.id);
      if (s) out.push(s);
    }
    return out;
  }

  async listSandboxes(): Promise<SandboxStatus[]> {
    const res = await this.cri.runtime.ListPodSandbox({ filter: { labelSelector: { [LABEL_NODE]: this.o.nodeName } } });
    const out: SandboxStatus[] = [];
    for (const s of res.items ?? []) {
      let ip = '';
      if (s.state === 'SANDBOX_READY') {
        const st = await this.cri.runtime.PodSandboxStatus({ podSandboxId: s.id }).catch(() => undefined);
        ip = st?.status?.network?.ip ?? '';
      }
      out.push({ id: s.id, podUid: s.metadata?.uid ?? s.labels?.[LABEL_POD_UID] ?? '', ip, ready: s.state === 'SANDBOX_READY' });
    }
    return out;
  }

  onContainerEvent(cb: (c: ContainerStatus) => void): void {
    this.listeners.push(cb);
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const r = await this.cri.runtime.ExecSync({ containerId: id, cmd, timeout: String(Math.max(0, Math.ceil(timeoutSeconds))) }, (timeoutSeconds + 10) * 1000);
    return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout ?? []), stderr: Buffer.from(r.stderr ?? []) };
  }

  async streamingUrl(req: StreamRequest): Promise<string> {
    switch (req.kind) {
      case 'exec':
        return (await this.cri.runtime.Exec({ containerId: req.containerId, cmd: req.cmd, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr && !req.tty })).url;
      case 'attach':
        return (await this.cri.runtime.Attach({ containerId: req.containerId, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr && !req.tty })).url;
      case 'portforward':
        return (await this.cri.runtime.PortForward({ podSandboxId: req.sandboxId, port: req.ports })).url;
    }
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const s = (await this.cri.runtime.ContainerStats({ containerId: id })).stats;
    const num = (v: any) => (v?.value !== undefined ? Number(v.value) : undefined);
    // CRI timestamps are nanoseconds since the epoch.
    const ts = Number(s?.cpu?.timestamp ?? 0);
    return {
      timestampMs: ts > 0 ? Math.floor(ts / 1e6) : Date.now(),
      cpuUsageNanoCores: num(s?.cpu?.usageNanoCores),
      cpuUsageCoreNanoSeconds: num(s?.cpu?.usageCoreNanoSeconds),
      memoryWorkingSetBytes: num(s?.memory?.workingSetBytes),
    };
  }

  /** Removes every sandbox (and so every container) of this node: tests and `--reset` style cleanups. */
  async removeAll(): Promise<void> {
    const res = await this.cri.runtime.ListPodSandbox({ filter: { labelSelector: { [LABEL_NODE]: this.o.nodeName } } });
    for (const s of res.items ?? []) {
      await this.stopPodSandbox(s.id).catch(() => {});
      await this.removePodSandbox(s.id).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.events?.close();
    this.cri.close();
  }
}

/** CRI namespace modes: the pod's network unless hostNetwork, pid per container unless shared or the node's. */
function namespaceOptions(cfg: SandboxConfig): { network: string; pid: string; ipc: string } {
  return {
    network: cfg.hostNetwork ? 'NODE' : 'POD',
    pid: cfg.hostPID ? 'NODE' : cfg.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: cfg.hostIPC ? 'NODE' : 'POD',
  };
}

/** rmdir of a cgroup in every v1 hierarchy (and v2); only an empty cgroup goes. */
async function removeCgroup(path: string): Promise<void> {
  const root = '/sys/fs/cgroup';
  const dirs = await readdir(root).catch(() => [] as string[]);
  await Promise.all([root, ...dirs.map((d) => join(root, d))].map((h) => rmdir(join(h, path)).catch(() => {})));
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof CriError && err.notFound)) throw err;
  }
}
