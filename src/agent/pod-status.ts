/**
 * PodStatus from what the runtime reports, as the kubelet computes it: container
 * statuses (state, lastState, ready, restartCount), the pod phase (getPhase), and the
 * conditions PodScheduled, Initialized, ContainersReady, Ready.
 */
import type { ContainerStatus } from './runtime/types.js';

export interface ContainerRecord {
  /** Current (latest) container instance, if any. */
  current?: ContainerStatus;
  /** The instance before the current one (for lastState). */
  previous?: ContainerStatus;
  restartCount: number;
  /** Set while a restart is delayed by crash-loop back-off. */
  backoffUntil?: number;
  backoffSeconds?: number;
  /** Waiting reason before the first instance exists (ContainerCreating, ErrImagePull, ...). */
  waitingReason?: string;
  waitingMessage?: string;
  /** Readiness as decided by probes (undefined = no readiness probe: ready while running). */
  probeReady?: boolean;
}

export interface StatusInput {
  pod: any;
  runtimeName: string;
  hostIP: string;
  podIP?: string;
  startTime?: string;
  init: Map<string, ContainerRecord>;
  app: Map<string, ContainerRecord>;
  now: Date;
  /** Termination messages by container id (from each instance's terminationMessagePath file). */
  terminationMessages?: Map<string, string>;
}

const iso = (d?: Date) => (d ? new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z') : undefined);

function stateOf(c: ContainerStatus, runtime: string, messages?: Map<string, string>): any {
  const containerID = `${runtime}://${c.id}`;
  if (c.state === 'running') return { running: { startedAt: iso(c.startedAt) } };
  const message = messages?.get(c.id) || undefined;
  if (c.state === 'exited')
    return { terminated: { exitCode: c.exitCode ?? 0, reason: c.reason ?? (c.exitCode ? 'Error' : 'Completed'), ...(message ? { message } : {}), startedAt: iso(c.startedAt), finishedAt: iso(c.finishedAt), containerID } };
  return { waiting: { reason: 'ContainerCreating' } };
}

function containerStatus(spec: any, rec: ContainerRecord | undefined, runtime: string, now: Date, messages?: Map<string, string>): any {
  const s: any = { name: spec.name, image: spec.image, imageID: '', ready: false, restartCount: rec?.restartCount ?? 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
  if (!rec) return s;
  if (rec.current) {
    s.containerID = `${runtime}://${rec.current.id}`;
    s.imageID = rec.current.imageId;
    s.state = stateOf(rec.current, runtime, messages);
    s.started = rec.current.state === 'running';
    s.ready = rec.current.state === 'running' && rec.probeReady !== false;
  }
  if (rec.backoffUntil && rec.backoffUntil > now.getTime() && rec.current?.state === 'exited') {
    // The kubelet shows the last termination as lastState and waits in CrashLoopBackOff.
    s.lastState = s.state;
    s.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${rec.backoffSeconds}s restarting failed container=${spec.name}` } };
  } else if (rec.previous) {
    s.lastState = stateOf(rec.previous, runtime, messages);
  } else {
    s.lastState = {};
  }
  if (!rec.current && rec.waitingReason) s.state = { waiting: { reason: rec.waitingReason, ...(rec.waitingMessage ? { message: rec.waitingMessage } : {}) } };
  return s;
}

/** Pod phase from container states, after the kubelet's getPhase. */
export function podPhase(pod: any, init: Map<string, ContainerRecord>, app: Map<string, ContainerRecord>): string {
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  for (const c of pod.spec?.initContainers ?? []) {
    const cur = init.get(c.name)?.current;
    if (!cur || cur.state !== 'exited' || cur.exitCode !== 0) {
      if (cur?.state === 'exited' && cur.exitCode !== 0 && restartPolicy === 'Never') return 'Failed';
      return 'Pending';
    }
  }
  let running = 0,
    waiting = 0,
    succeeded = 0,
    failed = 0;
  for (const c of pod.spec?.containers ?? []) {
    const rec = app.get(c.name);
    const cur = rec?.current;
    if (!cur || cur.state === 'created') {
      // A container waiting to restart after a termination counts as stopped.
      if (rec?.previous) {
        if (rec.previous.exitCode === 0) succeeded++;
        else failed++;
      } else waiting++;
    } else if (cur.state === 'running') running++;
    else if (cur.state === 'exited') {
      if (cur.exitCode === 0) succeeded++;
      else failed++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  const stopped = succeeded + failed;
  if (stopped === 0) return 'Pending';
  if (restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  if (restartPolicy === 'OnFailure') return 'Running';
  return 'Failed';
}

function condition(type: string, ok: boolean, prev: any[] | undefined, now: string, reason?: string): any {
  const status = ok ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  const c: any = { type, status, lastProbeTime: null, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
  if (!ok && reason) c.reason = reason;
  return c;
}

export function computePodStatus(i: StatusInput): any {
  const now = iso(i.now)!;
  const spec = i.pod.spec ?? {};
  const prev = i.pod.status?.conditions;
  const initStatuses = (spec.initContainers ?? []).map((c: any) => containerStatus(c, i.init.get(c.name), i.runtimeName, i.now, i.terminationMessages));
  const appStatuses = (spec.containers ?? []).map((c: any) => containerStatus(c, i.app.get(c.name), i.runtimeName, i.now, i.terminationMessages));
  const phase = podPhase(i.pod, i.init, i.app);
  const initialized = initStatuses.every((s: any) => s.state.terminated?.exitCode === 0);
  const allReady = appStatuses.length > 0 && appStatuses.every((s: any) => s.ready);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const status: any = {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', !!i.podIP || !!spec.hostNetwork, prev, now),
      condition('Initialized', initialized || terminal, prev, now, 'ContainersNotInitialized'),
      condition('Ready', allReady && !terminal, prev, now, notReadyReason),
      condition('ContainersReady', allReady && !terminal, prev, now, notReadyReason),
      condition('PodScheduled', true, prev, now),
    ],
    hostIP: i.hostIP,
    hostIPs: [{ ip: i.hostIP }],
    startTime: i.startTime ?? now,
    containerStatuses: appStatuses,
    qosClass: i.pod.status?.qosClass ?? 'BestEffort',
  };
  if (i.podIP) {
    status.podIP = i.podIP;
    status.podIPs = [{ ip: i.podIP }];
  }
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  return status;
}
