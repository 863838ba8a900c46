/**
 * PodStatus from what the runtime reports and the probes decided, as the kubelet computes
 * it: container statuses (state, lastState, started, ready, restartCount), the pod phase
 * (getPhase), the conditions PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled with upstream's reasons and messages, and the
 * DeadlineExceeded reason of activeDeadlineSeconds.
 */
import { qosClass } from '../api/builtin/pod-validation.js';
import { goDuration, type BackoffEntry } from './backoff.js';
import { formatPod } from './lifecycle/hooks.js';
import { isSidecar, sidecarNames } from './lifecycle/sidecars.js';
import { DEADLINE_MESSAGE, DEADLINE_REASON } from './pod-termination.js';
import type { ContainerStatus } from './runtime/types.js';

export interface ContainerRecord {
  /** Current (latest) container instance, if any. */
  current?: ContainerStatus;
  /** The instance before the current one (for lastState). */
  previous?: ContainerStatus;
  restartCount: number;
  /** Crash-loop back-off entry (backoff.ts). */
  backoff?: BackoffEntry;
  /** Set while a restart is delayed by crash-loop back-off. */
  backoffUntil?: number;
  backoffSeconds?: number;
  /** Waiting reason before the first instance exists (ContainerCreating, ErrImagePull, ...). */
  waitingReason?: string;
  waitingMessage?: string;
  /** Passed its startup probe, or has none (undefined: not decided: started while running). */
  started?: boolean;
  /** Readiness as decided by probes (undefined = no readiness probe: ready while running). */
  probeReady?: boolean;
  /** Being stopped after a failed liveness/startup probe. */
  killing?: boolean;
  /** Restart after the probe kill whatever the exit code (policy Always/OnFailure). */
  restartAfterKill?: boolean;
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
  /** activeDeadlineSeconds passed: the pod is Failed with reason DeadlineExceeded. */
  deadlineExceeded?: boolean;
  /** Every container was stopped for deletion or the deadline: the phase is final. */
  terminated?: boolean;
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

function containerStatus(pod: any, spec: any, rec: ContainerRecord | undefined, runtime: string, now: Date, o: { init: boolean; waitingReason: string; messages?: Map<string, string> }): any {
  const messages = o.messages;
  const s: any = { name: spec.name, image: spec.image, imageID: '', ready: false, restartCount: rec?.restartCount ?? 0, started: false, state: { waiting: { reason: o.waitingReason } } };
  if (!rec) return s;
  if (rec.current) {
    const running = rec.current.state === 'running';
    s.containerID = `${runtime}://${rec.current.id}`;
    s.imageID = rec.current.imageId;
    s.state = stateOf(rec.current, runtime, messages);
    if (o.init && !isSidecar(spec)) {
      // Init containers are ready once they succeeded (sidecars are probed like app containers).
      s.started = running;
      s.ready = rec.current.state === 'exited' && rec.current.exitCode === 0;
    } else {
      s.started = running && rec.started !== false;
      s.ready = s.started && rec.probeReady !== false;
    }
  }
  if (rec.backoffUntil && rec.backoffUntil > now.getTime() && rec.current?.state === 'exited') {
    // The kubelet shows the last termination as lastState and waits in CrashLoopBackOff.
    s.lastState = s.state;
    s.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(rec.backoffSeconds ?? 0)} restarting failed container=${spec.name} pod=${formatPod(pod)}` } };
  } else if (rec.previous) {
    s.lastState = stateOf(rec.previous, runtime, messages);
  } else {
    s.lastState = {};
  }
  if (!rec.current && rec.waitingReason) s.state = { waiting: { reason: rec.waitingReason, ...(rec.waitingMessage ? { message: rec.waitingMessage } : {}) } };
  return s;
}

/** Pod phase from container states, after the kubelet's getPhase. */
export function podPhase(pod: any, init: Map<string, ContainerRecord>, app: Map<string, ContainerRecord>, podIsTerminal = false): string {
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  let running = 0,
    waiting = 0,
    succeeded = 0,
    failed = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    const cur = init.get(c.name)?.current;
    if (isSidecar(c)) {
      // Sidecars count only while they run; their exits never decide the phase.
      if (cur?.state === 'running') running++;
      continue;
    }
    if (!cur || cur.state !== 'exited' || cur.exitCode !== 0) {
      if (cur?.state === 'exited' && cur.exitCode !== 0 && restartPolicy === 'Never') return 'Failed';
      return podIsTerminal ? 'Failed' : 'Pending';
    }
  }
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
  if (podIsTerminal) return waiting === 0 && failed === 0 && succeeded > 0 ? 'Succeeded' : 'Failed';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  const stopped = succeeded + failed;
  if (stopped === 0) return 'Pending';
  if (restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  if (restartPolicy === 'OnFailure') return 'Running';
  return 'Failed';
}

function condition(type: string, ok: boolean, prev: any[] | undefined, now: string, reason?: string, message?: string): any {
  const status = ok ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  const c: any = { type, status, lastProbeTime: null, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** Go's fmt of a []string: [a b]. */
const goList = (names: string[]) => `[${names.join(' ')}]`;

export function computePodStatus(i: StatusInput): any {
  const now = iso(i.now)!;
  const spec = i.pod.spec ?? {};
  const prev = i.pod.status?.conditions;
  const initDone = (spec.initContainers ?? []).every((c: any) => {
    const cur = i.init.get(c.name)?.current;
    return cur?.state === 'exited' && cur.exitCode === 0;
  });
  const initStatuses = (spec.initContainers ?? []).map((c: any) => containerStatus(i.pod, c, i.init.get(c.name), i.runtimeName, i.now, { init: true, waitingReason: 'PodInitializing', messages: i.terminationMessages }));
  const appStatuses = (spec.containers ?? []).map((c: any) =>
    containerStatus(i.pod, c, i.app.get(c.name), i.runtimeName, i.now, { init: false, waitingReason: initDone ? 'ContainerCreating' : 'PodInitializing', messages: i.terminationMessages }),
  );
  const phase = i.deadlineExceeded ? 'Failed' : podPhase(i.pod, i.init, i.app, !!i.terminated);
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  // Initialized (GeneratePodInitializedCondition): every init container ready (exited 0).
  const sidecar = sidecarNames(i.pod);
  const incomplete = initStatuses.filter((s: any) => (sidecar.has(s.name) ? !s.started : !s.ready)).map((s: any) => s.name);
  const appStarted = appStatuses.some((s: any) => s.state.running || s.state.terminated || s.lastState?.terminated);
  const initialized =
    phase === 'Succeeded'
      ? condition('Initialized', true, prev, now, 'PodCompleted')
      : incomplete.length === 0 || appStarted
        ? condition('Initialized', true, prev, now)
        : condition('Initialized', false, prev, now, 'ContainersNotInitialized', `containers with incomplete status: ${goList(incomplete)}`);

  // ContainersReady; Ready is ContainersReady and every readiness gate's condition True.
  const unready = [...initStatuses.filter((s: any) => sidecar.has(s.name)), ...appStatuses].filter((s: any) => !s.ready).map((s: any) => s.name);
  const containersReady = (type: string) =>
    terminal
      ? condition(type, false, prev, now, phase === 'Failed' ? 'PodFailed' : 'PodCompleted')
      : unready.length
        ? condition(type, false, prev, now, 'ContainersNotReady', `containers with unready status: ${goList(unready)}`)
        : condition(type, true, prev, now);
  let ready = containersReady('Ready');
  if (ready.status === 'True') {
    const gates: string[] = [];
    for (const g of spec.readinessGates ?? []) {
      const c = prev?.find((x: any) => x.type === g.conditionType);
      if (!c) gates.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
      else if (c.status !== 'True') gates.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
    }
    if (gates.length) ready = condition('Ready', false, prev, now, 'ReadinessGatesNotReady', gates.join(', '));
  }

  // A terminal pod's sandbox is stopped (the kubelet's syncTerminatedPod).
  const sandboxUp = (!!i.podIP || !!spec.hostNetwork) && !terminal;
  const own = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  const status: any = {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', sandboxUp, prev, now),
      initialized,
      ready,
      containersReady('ContainersReady'),
      // PodScheduled is the scheduler's; keep what it wrote.
      prev?.find((c: any) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, prev, now),
      // Conditions others own (readiness gates, DisruptionTarget, ...) are kept as they are.
      ...(prev ?? []).filter((c: any) => !own.has(c.type)),
    ],
    hostIP: i.hostIP,
    hostIPs: [{ ip: i.hostIP }],
    startTime: i.startTime ?? now,
    containerStatuses: appStatuses,
    qosClass: i.pod.status?.qosClass ?? qosClass(spec),
  };
  if (i.deadlineExceeded) {
    status.reason = DEADLINE_REASON;
    status.message = DEADLINE_MESSAGE;
  }
  if (i.podIP) {
    status.podIP = i.podIP;
    status.podIPs = [{ ip: i.podIP }];
  }
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  return status;
}
