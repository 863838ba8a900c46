/**
 * The kubelet's per-pod sync: make the runtime match the pod (sandbox, init containers
 * in order, app containers, restarts under the restart policy with crash-loop back-off),
 * honour deletion (stop within the grace period, then remove the pod from the API), and
 * write the status the runtime shows. One sync per pod at a time (work queue keys).
 */
import type { ResourceClient } from '../client/resource.js';
import { isNotFound, isConflict } from '../client/rest.js';
import type { Logger } from '../util/log.js';
import { computePodStatus, type ContainerRecord } from './pod-status.js';
import { ImagePullError, type ContainerConfig, type ContainerStatus, type Runtime } from './runtime/types.js';
import { pullAuthFromSecrets } from './pull-secrets.js';
import { etcHostsPath, removeEtcHosts, writeEtcHosts } from './etc-hosts.js';
import { containerConfigFor, sandboxConfigFor, type PodSpecOptions } from './pod-spec.js';

/** Crash-loop back-off: 10 s doubling to 5 min; reset after 10 min of running (as the kubelet). */
export const BACKOFF_INITIAL_S = 10;
export const BACKOFF_MAX_S = 300;
export const BACKOFF_RESET_MS = 10 * 60 * 1000;
/** Image pull back-off (kubelet: 10 s doubling to 5 min), shown as ImagePullBackOff. */
export const PULL_BACKOFF_INITIAL_S = 10;
export const PULL_BACKOFF_MAX_S = 300;

interface PodState {
  uid: string;
  sandboxId?: string;
  podIP?: string;
  startTime?: string;
  init: Map<string, ContainerRecord>;
  app: Map<string, ContainerRecord>;
  lastStatus?: string;
  /** Image pull back-off per container name. */
  pullBackoff?: Map<string, { until: number; seconds: number }>;
}

export interface PodWorkerOptions {
  runtime: Runtime;
  pods: ResourceClient;
  nodeName: string;
  hostIP: string;
  log: Logger;
  now?: () => Date;
  /** How pod specs map to sandbox/container configs (DNS, log root, ...). */
  spec?: PodSpecOptions;
  /** Reads a Secret (imagePullSecrets); undefined when it does not exist. */
  getSecret?: (namespace: string, name: string) => Promise<any | undefined>;
}

export type SyncOutcome = void | { requeueAfterMs: number };

export class PodWorkers {
  private readonly states = new Map<string, PodState>();
  private readonly now: () => Date;

  constructor(private readonly o: PodWorkerOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Pod keys (namespace/name) whose runtime state exists: to reconcile after restarts. */
  knownKeys(): string[] {
    return [...this.states.keys()];
  }

  /** Which pod key a container belongs to (for runtime events). */
  keyForSandbox(sandboxId: string): string | undefined {
    for (const [k, s] of this.states) if (s.sandboxId === sandboxId) return k;
    return undefined;
  }

  /** Adopts containers left by an earlier agent process (keyed by the pod's key). */
  adopt(key: string, uid: string, sandboxId: string, podIP: string, containers: ContainerStatus[], pod: any): void {
    const st: PodState = { uid, sandboxId, podIP, startTime: pod.status?.startTime, init: new Map(), app: new Map() };
    const restarts = new Map<string, number>();
    for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) restarts.set(cs.name, cs.restartCount ?? 0);
    const initNames = new Set((pod.spec?.initContainers ?? []).map((c: any) => c.name));
    for (const c of containers.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
      const m = initNames.has(c.name) ? st.init : st.app;
      // The higher of the last posted count and the attempt the container was created as
      // (an agent killed between a restart and its status write).
      const rec = m.get(c.name) ?? { restartCount: Math.max(restarts.get(c.name) ?? 0, c.restartCount ?? 0) };
      if (rec.current) rec.previous = rec.current;
      rec.current = c;
      m.set(c.name, rec);
    }
    st.lastStatus = JSON.stringify(pod.status ?? {});
    this.states.set(key, st);
  }

  async sync(key: string, pod: any | undefined): Promise<SyncOutcome> {
    let st = this.states.get(key);
    if (st && pod && pod.metadata.uid !== st.uid) {
      // Same name, new pod: the old one is gone.
      await this.teardown(key, st, 0);
      st = undefined;
    }
    if (!pod) {
      if (st) await this.teardown(key, st, 0);
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      if (st) await this.teardown(key, st, pod.metadata.deletionGracePeriodSeconds ?? 30);
      try {
        await this.o.pods.delete(pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    if (!st) {
      st = { uid: pod.metadata.uid, init: new Map(), app: new Map() };
      this.states.set(key, st);
    }
    const phase = pod.status?.phase;
    // A finished pod this agent has no containers for (adopted after a restart without
    // them): its posted status is final, nothing here could improve it.
    if ((phase === 'Succeeded' || phase === 'Failed') && !st.sandboxId) return;
    let requeue: number | undefined;
    if (phase !== 'Succeeded' && phase !== 'Failed') requeue = await this.converge(pod, st);
    await this.writeStatus(pod, st);
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** Brings the runtime in line with the spec; returns ms until a delayed restart is due. */
  private async converge(pod: any, st: PodState): Promise<number | undefined> {
    const rt = this.o.runtime;
    if (!st.sandboxId) {
      const sb = await rt.runPodSandbox(sandboxConfigFor(pod, this.o.spec ?? {}));
      st.sandboxId = sb.id;
      st.podIP = pod.spec?.hostNetwork ? this.o.hostIP : sb.ip;
      if (this.o.spec?.podsDir) writeEtcHosts(this.o.spec.podsDir, pod, sb.ip, this.o.spec.clusterDomain);
      st.startTime = st.startTime ?? this.now().toISOString().replace(/\.\d+Z$/, 'Z');
    }
    const policy = pod.spec?.restartPolicy ?? 'Always';
    // Init containers: one at a time, in order; app containers only after all succeeded.
    for (const c of pod.spec?.initContainers ?? []) {
      const rec = st.init.get(c.name) ?? { restartCount: 0 };
      st.init.set(c.name, rec);
      const cur = rec.current;
      if (cur?.state === 'exited' && cur.exitCode === 0) continue;
      if (!cur) return this.start(st, rec, c, pod);
      if (cur.state === 'running' || cur.state === 'created') return undefined;
      if (policy === 'Never') return undefined; // init failed: the pod fails
      return this.restart(st, rec, c, pod);
    }
    let soonest: number | undefined;
    for (const c of pod.spec?.containers ?? []) {
      const rec = st.app.get(c.name) ?? { restartCount: 0 };
      st.app.set(c.name, rec);
      const cur = rec.current;
      if (!cur) {
        const wait = await this.start(st, rec, c, pod);
        if (wait !== undefined) soonest = soonest === undefined ? wait : Math.min(soonest, wait);
        continue;
      }
      if (cur.state !== 'exited') continue;
      const restart = policy === 'Always' || (policy === 'OnFailure' && cur.exitCode !== 0);
      if (!restart) continue;
      const wait = await this.restart(st, rec, c, pod);
      if (wait !== undefined) soonest = soonest === undefined ? wait : Math.min(soonest, wait);
    }
    return soonest;
  }

  /** Creates and starts a container; returns ms to wait if its image pull is backing off. */
  private async start(st: PodState, rec: ContainerRecord, c: any, pod: any): Promise<number | undefined> {
    const rt = this.o.runtime;
    const now = this.now().getTime();
    st.pullBackoff ??= new Map();
    const pb = st.pullBackoff.get(c.name);
    if (pb && pb.until > now) {
      if (rec.waitingReason === 'ErrImagePull') {
        rec.waitingReason = 'ImagePullBackOff';
        rec.waitingMessage = `Back-off pulling image "${c.image}"`;
      }
      return pb.until - now;
    }
    let id: string;
    try {
      const cfg = containerConfigFor(pod, c, rec.restartCount, this.o.spec ?? {});
      cfg.pullAuth = await this.pullAuth(pod);
      const hosts = this.o.spec?.podsDir && etcHostsPath(this.o.spec.podsDir, pod);
      if (hosts) cfg.mounts = [...(cfg.mounts ?? []), { containerPath: '/etc/hosts', hostPath: hosts }];
      id = await rt.createContainer(st.sandboxId!, cfg);
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      const seconds = pb ? Math.min(PULL_BACKOFF_MAX_S, pb.seconds * 2) : PULL_BACKOFF_INITIAL_S;
      st.pullBackoff.set(c.name, { until: now + seconds * 1000, seconds });
      rec.waitingReason = err.reason;
      rec.waitingMessage = err.message;
      this.o.log.info('image pull failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: c.name, image: c.image, reason: err.reason, err: err.message });
      // Resync soon: as the kubelet's, the next sync inside the window shows ImagePullBackOff.
      return Math.min(1000, seconds * 1000);
    }
    st.pullBackoff.delete(c.name);
    rec.waitingReason = rec.waitingMessage = undefined;
    try {
      await rt.startContainer(id);
    } catch (err) {
      // A container that cannot start (no such executable, ...) is an exited instance
      // (StartError, exit code 128) that restarts under the restart policy, as upstream.
      const failed = await rt.containerStatus(id).catch(() => undefined);
      if (!failed || failed.state !== 'exited') throw err;
      this.o.log.info('container failed to start', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: c.name, err });
    }
    if (rec.current) {
      if (rec.previous) await rt.removeContainer(rec.previous.id).catch(() => {});
      rec.previous = rec.current;
    }
    rec.current = await rt.containerStatus(id);
    return undefined;
  }

  /** Registry credentials from the pod's imagePullSecrets (a missing Secret is skipped, as the kubelet does). */
  private async pullAuth(pod: any): Promise<ContainerConfig['pullAuth']> {
    const refs: any[] = pod.spec?.imagePullSecrets ?? [];
    if (!refs.length || !this.o.getSecret) return undefined;
    const secrets = await Promise.all(refs.map((r) => this.o.getSecret!(pod.metadata.namespace, r.name).catch(() => undefined)));
    return pullAuthFromSecrets(secrets.filter(Boolean));
  }

  /** Restarts an exited container, honouring crash-loop back-off; returns ms to wait if backing off. */
  private async restart(st: PodState, rec: ContainerRecord, c: any, pod: any): Promise<number | undefined> {
    const now = this.now().getTime();
    const cur = rec.current!;
    const ranFor = (cur.finishedAt?.getTime() ?? now) - (cur.startedAt?.getTime() ?? now);
    if (ranFor >= BACKOFF_RESET_MS) rec.backoffSeconds = undefined;
    if (rec.backoffUntil === undefined) {
      // First termination seen: restart at once, back off from the next one on.
      rec.backoffSeconds = rec.backoffSeconds === undefined ? 0 : Math.min(BACKOFF_MAX_S, Math.max(BACKOFF_INITIAL_S, rec.backoffSeconds * 2));
      rec.backoffUntil = now + rec.backoffSeconds * 1000;
    }
    if (rec.backoffUntil > now) return rec.backoffUntil - now;
    rec.backoffUntil = undefined;
    rec.restartCount++;
    return this.start(st, rec, c, pod);
  }

  private async writeStatus(pod: any, st: PodState): Promise<void> {
    const status = computePodStatus({ pod, runtimeName: this.o.runtime.name, hostIP: this.o.hostIP, podIP: st.podIP, startTime: st.startTime, init: st.init, app: st.app, now: this.now() });
    // Refresh container snapshots for the next sync.
    const json = JSON.stringify(status);
    if (json === st.lastStatus) return;
    try {
      await this.o.pods.patch(pod.metadata.namespace, pod.metadata.name, 'merge', { status }, { subresource: 'status' });
      st.lastStatus = json;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Records a container state change reported by the runtime. Returns the pod key to sync. */
  observe(c: ContainerStatus): string | undefined {
    for (const [key, st] of this.states) {
      if (st.sandboxId !== c.sandboxId) continue;
      for (const m of [st.init, st.app]) {
        const rec = m.get(c.name);
        if (rec?.current?.id === c.id) rec.current = c;
      }
      return key;
    }
    return undefined;
  }

  private async teardown(key: string, st: PodState, graceSeconds: number): Promise<void> {
    const rt = this.o.runtime;
    for (const m of [st.app, st.init])
      for (const rec of m.values()) {
        if (rec.current && rec.current.state === 'running') await rt.stopContainer(rec.current.id, graceSeconds);
      }
    if (st.sandboxId) {
      await rt.stopPodSandbox(st.sandboxId);
      await rt.removePodSandbox(st.sandboxId);
    }
    if (this.o.spec?.podsDir) removeEtcHosts(this.o.spec.podsDir, st.uid);
    this.states.delete(key);
  }
}
