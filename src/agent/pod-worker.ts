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
import type { ContainerStatus, Runtime } from './runtime/types.js';
import { cleanupPodVolumes, CONFIG_RETRY_MS, prepareOrRecord, syncPodVolumes, withPrepared, type PodConfigOptions } from './prepare.js';
import type { VolumeDir } from './volumes/pod-volumes.js';
import { TerminationMessages } from './termination-messages.js';

/** Crash-loop back-off: 10 s doubling to 5 min; reset after 10 min of running (as the kubelet). */
export const BACKOFF_INITIAL_S = 10;
export const BACKOFF_MAX_S = 300;
export const BACKOFF_RESET_MS = 10 * 60 * 1000;

interface PodState {
  uid: string;
  sandboxId?: string;
  podIP?: string;
  startTime?: string;
  init: Map<string, ContainerRecord>;
  app: Map<string, ContainerRecord>;
  lastStatus?: string;
  /** Volumes set up for the pod (undefined until they are). */
  volumes?: Map<string, VolumeDir>;
  terminationMessages?: TerminationMessages;
}

export interface PodWorkerOptions {
  runtime: Runtime;
  pods: ResourceClient;
  nodeName: string;
  hostIP: string;
  log: Logger;
  now?: () => Date;
  /** Env, volumes and mounts of containers; without it containers get only command/args. */
  config?: PodConfigOptions;
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
      const rec = m.get(c.name) ?? { restartCount: restarts.get(c.name) ?? 0 };
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
    let requeue: number | undefined;
    if (phase !== 'Succeeded' && phase !== 'Failed') requeue = await this.converge(pod, st);
    await this.writeStatus(pod, st);
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** Brings the runtime in line with the spec; returns ms until a delayed restart is due. */
  private async converge(pod: any, st: PodState): Promise<number | undefined> {
    const rt = this.o.runtime;
    const volumesWait = this.o.config && (await syncPodVolumes(pod, st, this.o.config, this.o.log));
    if (volumesWait) return volumesWait;
    if (!st.sandboxId) {
      const sb = await rt.runPodSandbox({ podUid: pod.metadata.uid, namespace: pod.metadata.namespace, name: pod.metadata.name, hostNetwork: !!pod.spec?.hostNetwork });
      st.sandboxId = sb.id;
      st.podIP = pod.spec?.hostNetwork ? this.o.hostIP : sb.ip;
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

  /** Creates and starts a container; returns ms to retry when its config cannot be made yet. */
  private async start(st: PodState, rec: ContainerRecord, c: any, pod: any): Promise<number | undefined> {
    const rt = this.o.runtime;
    // Env, mounts and the rest of the container's configuration (CreateContainerConfigError if it cannot be made yet).
    const prep = this.o.config && (await prepareOrRecord(pod, c, rec, this.o.config, { podIPs: st.podIP ? [st.podIP] : [], hostIPs: [this.o.hostIP] }, st.volumes));
    if (prep === null) return CONFIG_RETRY_MS;
    const cfg = { name: c.name, image: c.image, command: c.command, args: c.args, podAnnotations: pod.metadata.annotations ?? {} };
    const id = await rt.createContainer(st.sandboxId!, withPrepared(cfg, prep || undefined));
    if (prep?.terminationLogPath) (st.terminationMessages ??= new TerminationMessages()).record(id, prep.terminationLogPath, c.terminationMessagePolicy);
    await rt.startContainer(id);
    if (rec.current) {
      if (rec.previous) await rt.removeContainer(rec.previous.id).catch(() => {});
      rec.previous = rec.current;
    }
    rec.current = await rt.containerStatus(id);
    return undefined;
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
    const wait = await this.start(st, rec, c, pod);
    if (wait !== undefined) rec.restartCount--; // no new instance after all (its config could not be made yet)
    return wait;
  }

  private async writeStatus(pod: any, st: PodState): Promise<void> {
    await st.terminationMessages?.refresh([...st.init.values(), ...st.app.values()]);
    const status = computePodStatus({ pod, runtimeName: this.o.runtime.name, hostIP: this.o.hostIP, podIP: st.podIP, startTime: st.startTime, init: st.init, app: st.app, now: this.now(), terminationMessages: st.terminationMessages?.messages });
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
    if (this.o.config) await cleanupPodVolumes(this.o.config, st.uid);
    this.states.delete(key);
  }
}
