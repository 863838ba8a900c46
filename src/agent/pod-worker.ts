/**
 * The kubelet's per-pod sync: make the runtime match the pod (sandbox, init containers
 * in order, app containers, restarts under the restart policy), honour deletion and
 * activeDeadlineSeconds (pod-termination.ts), and write the status the runtime and the
 * probes show. Starting a container (config, image pull back-off, crash-loop back-off,
 * postStart) is container-start.ts; kills for failed liveness/startup probes and the
 * stop of sidecars are lifecycle/probe-kill.ts and lifecycle/sidecars.ts. One sync per pod at a time (work queue keys); slow work (kills inside a
 * grace period) runs in the background and re-queues the pod when done.
 */
import type { ResourceClient } from '../client/resource.js';
import { isNotFound, isConflict } from '../client/rest.js';
import type { Logger } from '../util/log.js';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS } from './backoff.js';
import { restartContainer, startContainer, type StartContext, type StartPodState } from './container-start.js';
import { removeEtcHosts, writeEtcHosts } from './etc-hosts.js';
import { killForProbe, type BackgroundKillContext } from './lifecycle/probe-kill.js';
import { isSidecar, regularContainersDone, sidecarNames, stopSidecars } from './lifecycle/sidecars.js';
import { computePodStatus, type ContainerRecord } from './pod-status.js';
import { DEADLINE_MESSAGE, DEADLINE_REASON, deadlineRemainingMs, forcedGracePeriod, killPod } from './pod-termination.js';
import { sandboxConfigFor, type PodSpecOptions } from './pod-spec.js';
import { cleanupPodVolumes, syncPodVolumes, type PodConfigOptions } from './prepare.js';
import { ProbeManager, type Clock, type PodProbeView } from './probes/index.js';
import type { HandlerTarget } from './probes/types.js';
import type { ContainerStatus, Runtime } from './runtime/types.js';

export { PULL_BACKOFF_INITIAL_S, PULL_BACKOFF_MAX_S } from './container-start.js';
export { isSidecar } from './lifecycle/sidecars.js';

/** What the worker knows of one pod (sandbox, pod IP, image pull back-off, volumes: StartPodState). */
interface PodState extends StartPodState {
  /** The pod's key (namespace/name). */
  key: string;
  uid: string;
  /** The pod as last seen (its spec decides how a force-deleted pod is stopped). */
  pod: any;
  startTime?: string;
  init: Map<string, ContainerRecord>;
  app: Map<string, ContainerRecord>;
  lastStatus?: string;
  /** Background kill of all containers (deletion or deadline). */
  terminating?: Promise<void>;
  /** All containers stopped for deletion or the deadline. */
  terminated?: boolean;
  deadlineExceeded?: boolean;
  sandboxStopped?: boolean;
  /** Containers found running when the agent started (their probes start with jitter). */
  adopted?: boolean;
}

export type PodEventFn = (pod: any, fieldPath: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string) => void;

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
  /** Env, volumes and mounts of containers; without it containers get only command/args. */
  config?: PodConfigOptions;
  /** Records a kubelet event about a pod (fieldPath names the container). */
  event?: PodEventFn;
  /**
   * Records the kubelet's image and container events (Pulling, Pulled, Created, Started,
   * Failed): real nodes only; hollow nodes keep their API writes per pod low.
   */
  containerEvents?: boolean;
  /** Asks for a sync of a pod (probe results changed, a background kill ended). */
  enqueue?: (key: string) => void;
  /** False on simulated nodes: network probes and hooks succeed without traffic. */
  probeNetwork?: boolean;
  probeClock?: Clock;
}

export type SyncOutcome = void | { requeueAfterMs: number };

/** Crash-loop back-off: 10 s doubling to 5 min; reset after 10 min of running (backoff.ts). */
export const BACKOFF_INITIAL_S = BACKOFF_INITIAL_MS / 1000;
export const BACKOFF_MAX_S = BACKOFF_MAX_MS / 1000;
export const BACKOFF_RESET_MS = 2 * BACKOFF_MAX_MS;

const terminalPhase = (p: string | undefined) => p === 'Succeeded' || p === 'Failed';

export class PodWorkers {
  private readonly states = new Map<string, PodState>();
  private readonly now: () => Date;
  /** What container starts and background kills (container-start.ts, lifecycle/) use of the worker. */
  private readonly ctx: StartContext & BackgroundKillContext;
  readonly probes: ProbeManager;

  constructor(private readonly o: PodWorkerOptions) {
    this.now = o.now ?? (() => new Date());
    this.ctx = {
      runtime: o.runtime,
      hostIP: o.hostIP,
      log: o.log,
      now: this.now,
      spec: o.spec,
      config: o.config,
      getSecret: o.getSecret,
      containerEvents: o.containerEvents,
      enqueue: o.enqueue,
      event: (pod, name, type, reason, message) => this.event(pod, name, type, reason, message),
      target: (st, spec, id) => this.target(st, spec, id),
    };
    this.probes = new ProbeManager({
      runtime: o.runtime,
      network: o.probeNetwork ?? true,
      clock: o.probeClock,
      onChange: (key) => o.enqueue?.(key),
      event: (pod, name, type, reason, message) => this.event(pod, name, type, reason, message),
    });
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

  private event(pod: any, containerName: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    let fieldPath: string | undefined;
    if (containerName !== undefined) {
      const init = (pod.spec?.initContainers ?? []).some((c: any) => c.name === containerName);
      fieldPath = `spec.${init ? 'initContainers' : 'containers'}{${containerName}}`;
    }
    this.o.event?.(pod, fieldPath, type, reason, message);
  }

  /** Adopts containers left by an earlier agent process (keyed by the pod's key). */
  adopt(key: string, uid: string, sandboxId: string, podIP: string, containers: ContainerStatus[], pod: any): void {
    const st: PodState = { key, uid, pod, sandboxId, podIP, startTime: pod.status?.startTime, init: new Map(), app: new Map(), adopted: true };
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

  private target(st: { podIP?: string }, spec: any, containerId: string): HandlerTarget {
    return { runtime: this.o.runtime, containerId, container: spec, podIP: st.podIP ?? '', network: this.o.probeNetwork ?? true };
  }

  /** Forgets a pod whose API object is gone (or replaced): stops what runs, in the background. */
  private abandon(key: string, st: PodState): void {
    this.states.delete(key);
    this.probes.remove(key);
    const done = st.terminating ?? this.killAll(st, st.pod, 'deletion', forcedGracePeriod(st.pod));
    void done
      .then(() => this.teardown(key, st))
      .catch((err) => this.o.log.warn('stopping a removed pod failed', { pod: key, err }));
  }

  /** Last step for a pod whose containers are all stopped: its sandbox goes, and the agent forgets it. */
  private async teardown(key: string, st: PodState): Promise<void> {
    this.probes.remove(key);
    if (this.states.get(key) === st) this.states.delete(key);
    if (st.sandboxId) await this.o.runtime.removePodSandbox(st.sandboxId);
    if (this.o.spec?.podsDir) removeEtcHosts(this.o.spec.podsDir, st.uid);
    if (this.o.config) await cleanupPodVolumes(this.o.config, st.uid);
  }

  private killAll(st: PodState, pod: any, reason: 'deletion' | 'deadline', gracePeriodOverride?: number): Promise<void> {
    return killPod({
      runtime: this.o.runtime,
      pod,
      sandboxId: st.sandboxId,
      init: st.init,
      app: st.app,
      reason,
      gracePeriodOverride,
      target: (spec, id) => this.target(st, spec, id),
      event: (name, type, r, message) => this.event(pod, name, type, r, message),
    });
  }

  /** Starts the background kill of every container once; re-queues the pod when it ends. */
  private terminate(key: string, st: PodState, pod: any, reason: 'deletion' | 'deadline'): void {
    if (st.terminating) return;
    this.probes.remove(key);
    st.terminating = this.killAll(st, pod, reason)
      .catch((err) => this.o.log.warn('stopping pod failed', { pod: key, err }))
      .then(() => {
        st.terminated = true;
        this.o.enqueue?.(key);
      });
  }

  async sync(key: string, pod: any | undefined): Promise<SyncOutcome> {
    let st = this.states.get(key);
    if (st && (!pod || pod.metadata.uid !== st.uid)) {
      // Gone from the API (or the same name with a new uid): stop the old one.
      this.abandon(key, st);
      st = undefined;
    }
    if (!pod) return;
    if (pod.metadata.deletionTimestamp) return this.syncTerminating(key, pod, st);
    if (!st) {
      st = { key, uid: pod.metadata.uid, pod, init: new Map(), app: new Map() };
      this.states.set(key, st);
    }
    st.pod = pod;
    // A finished pod this agent has no containers for (adopted after a restart without
    // them): its posted status is final, nothing here could improve it.
    if (terminalPhase(pod.status?.phase) && !st.sandboxId) return;
    const now = this.now().getTime();
    let requeue: number | undefined;
    if (!terminalPhase(pod.status?.phase) && !st.deadlineExceeded) {
      const left = deadlineRemainingMs(pod, st.startTime, now);
      if (left !== undefined && left <= 0) {
        st.deadlineExceeded = true;
        this.event(pod, undefined, 'Normal', DEADLINE_REASON, DEADLINE_MESSAGE);
        this.terminate(key, st, pod, 'deadline');
      } else {
        requeue = await this.converge(pod, st);
        if (left !== undefined) requeue = Math.min(requeue ?? left, left);
      }
    }
    await this.writeStatus(pod, st);
    return requeue !== undefined ? { requeueAfterMs: Math.max(1, requeue) } : undefined;
  }

  /** Graceful deletion: stop everything within the grace period, then remove the pod from the API. */
  private async syncTerminating(key: string, pod: any, st: PodState | undefined): Promise<SyncOutcome> {
    if (st) {
      st.pod = pod;
      if (!st.terminated) {
        this.terminate(key, st, pod, 'deletion');
        await this.writeStatus(pod, st);
        return;
      }
      await this.writeStatus(pod, st);
      await this.teardown(key, st);
    }
    try {
      await this.o.pods.delete(pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Brings the runtime in line with the spec; returns ms until a delayed restart is due. */
  private async converge(pod: any, st: PodState): Promise<number | undefined> {
    const rt = this.o.runtime;
    const key = st.key;
    if (st.sandboxId && rt.podSandboxReady && !(await rt.podSandboxReady(st.sandboxId))) await this.dropDeadSandbox(pod, st);
    const volumesWait = this.o.config && (await syncPodVolumes(pod, st, this.o.config, this.o.log));
    if (volumesWait) return volumesWait;
    if (!st.sandboxId) {
      const sb = await rt.runPodSandbox(sandboxConfigFor(pod, this.o.spec ?? {}));
      st.sandboxId = sb.id;
      st.podIP = pod.spec?.hostNetwork ? this.o.hostIP : sb.ip;
      if (this.o.spec?.podsDir) writeEtcHosts(this.o.spec.podsDir, pod, sb.ip, this.o.spec.clusterDomain);
      st.startTime = st.startTime ?? this.now().toISOString().replace(/\.\d+Z$/, 'Z');
    }
    const policy = pod.spec?.restartPolicy ?? 'Always';
    this.probes.sync(key, this.probeView(pod, st), { jitter: st.adopted });
    let soonest: number | undefined;
    const later = (w: number | undefined) => {
      if (w !== undefined) soonest = soonest === undefined ? w : Math.min(soonest, w);
    };
    const appDone = regularContainersDone(pod, st.app);
    const initialized = [...st.app.values()].some((r) => r.current);
    // Init containers: one at a time, in order; app containers only after all succeeded.
    // A sidecar (restartPolicy Always) must have started (startup probe passed) before
    // the next one runs, and keeps running (restarted whenever it exits) beside the app.
    for (const c of pod.spec?.initContainers ?? []) {
      const rec = st.init.get(c.name) ?? { restartCount: 0 };
      st.init.set(c.name, rec);
      if (isSidecar(c)) {
        if (appDone) continue;
        later(await this.step(st, rec, c, pod, true));
        const cur = rec.current;
        if (!initialized && !(cur?.state === 'running' && this.probes.started(key, c.name, cur.id))) return soonest;
        continue;
      }
      if (initialized) continue;
      const cur = rec.current;
      if (cur?.state === 'exited' && cur.exitCode === 0) continue;
      if (!cur) {
        later(await startContainer(this.ctx, st, rec, c, pod));
        return soonest;
      }
      if (cur.state === 'running' || cur.state === 'created') return soonest;
      if (policy === 'Never') return soonest; // init failed: the pod fails
      later(await restartContainer(this.ctx, st, rec, c, pod));
      return soonest;
    }
    for (const c of pod.spec?.containers ?? []) {
      const rec = st.app.get(c.name) ?? { restartCount: 0 };
      st.app.set(c.name, rec);
      const cur = rec.current;
      later(await this.step(st, rec, c, pod, policy === 'Always' || (policy === 'OnFailure' && cur?.exitCode !== 0)));
    }
    if (appDone) stopSidecars(this.ctx, pod, st);
    return soonest;
  }

  /**
   * The kubelet's "pod sandbox changed": the sandbox died (its pause process killed), so
   * every container goes with it and the pod starts over in a new sandbox, init
   * containers first; each container that had run counts a restart.
   */
  private async dropDeadSandbox(pod: any, st: PodState): Promise<void> {
    const rt = this.o.runtime;
    this.o.log.info('pod sandbox changed: it will be killed and re-created', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, sandbox: st.sandboxId });
    await rt.stopPodSandbox(st.sandboxId!);
    await rt.removePodSandbox(st.sandboxId!);
    st.sandboxId = undefined;
    for (const m of [st.init, st.app])
      for (const rec of m.values()) {
        if (!rec.current) continue;
        rec.previous = { ...rec.current, state: 'exited', exitCode: rec.current.exitCode ?? 137, finishedAt: rec.current.finishedAt ?? this.now() };
        rec.current = undefined;
        rec.restartCount++;
      }
  }

  /** One long-running container (app or sidecar): start it, kill it on failed probes, restart it when it should. */
  private async step(st: PodState, rec: ContainerRecord, c: any, pod: any, restartOnExit: boolean): Promise<number | undefined> {
    const cur = rec.current;
    if (!cur) return startContainer(this.ctx, st, rec, c, pod);
    if (rec.killing) return undefined;
    if (cur.state === 'running') {
      const reason = this.probes.killReason(st.key, c.name, cur.id);
      if (reason) killForProbe(this.ctx, st, rec, c, pod, reason);
      return undefined;
    }
    if (cur.state !== 'exited' || !(rec.restartAfterKill || restartOnExit)) return undefined;
    return restartContainer(this.ctx, st, rec, c, pod);
  }

  private probeView(pod: any, st: PodState): PodProbeView {
    return {
      pod,
      podIP: st.podIP ?? '',
      container: (name) => {
        const cur = (st.app.get(name) ?? st.init.get(name))?.current;
        return cur && { id: cur.id, running: cur.state === 'running', terminated: cur.state === 'exited', startedAt: cur.startedAt?.getTime() };
      },
    };
  }

  private async writeStatus(pod: any, st: PodState): Promise<void> {
    const key = st.key;
    const sidecars = sidecarNames(pod);
    for (const [name, rec] of [...st.app, ...[...st.init].filter(([n]) => sidecars.has(n))]) {
      const cur = rec.current;
      // While the pod is being stopped its probes are gone: keep the last verdicts.
      if (cur?.state !== 'running' || st.terminating) continue;
      rec.started = this.probes.started(key, name, cur.id);
      rec.probeReady = rec.started && this.probes.ready(key, name, cur.id);
    }
    await st.terminationMessages?.refresh([...st.init.values(), ...st.app.values()]);
    const status = computePodStatus({
      pod,
      runtimeName: this.o.runtime.name,
      hostIP: this.o.hostIP,
      podIP: st.podIP,
      startTime: st.startTime,
      init: st.init,
      app: st.app,
      now: this.now(),
      deadlineExceeded: st.deadlineExceeded,
      terminated: st.terminated,
      terminationMessages: st.terminationMessages?.messages,
    });
    if (terminalPhase(status.phase)) {
      this.probes.remove(key);
      if (st.sandboxId && !st.sandboxStopped && !st.terminating) {
        // The kubelet stops a finished pod's sandbox (syncTerminatedPod).
        st.sandboxStopped = true;
        await this.o.runtime.stopPodSandbox(st.sandboxId);
      }
    }
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

  /** Stops every probe timer (agent shutdown). */
  close(): void {
    for (const key of this.states.keys()) this.probes.remove(key);
  }
}

