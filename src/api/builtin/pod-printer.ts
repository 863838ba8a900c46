/** `kubectl get pods` cells: READY, STATUS (kubectl's printPod reasoning), RESTARTS with "(5m ago)". */
import { humanDuration } from './printing.js';

export function podStatusReason(pod: any): string {
  const st = pod.status ?? {};
  let reason: string = st.reason || st.phase || 'Pending';
  const inits = pod.spec?.initContainers ?? [];
  let initializing = false;
  const sidecars = new Set(inits.filter((c: any) => c.restartPolicy === 'Always').map((c: any) => c.name));
  (st.initContainerStatuses ?? []).forEach((c: any, i: number) => {
    if (initializing) return;
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t && t.exitCode === 0) return;
    if (sidecars.has(c.name) && c.started) return; // a started sidecar does not hold initialization
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (w?.reason && w.reason !== 'PodInitializing') reason = `Init:${w.reason}`;
    else reason = `Init:${i}/${inits.length}`;
    initializing = true;
  });
  if (!initializing || initializedTrue(st)) {
    let hasRunning = false;
    const cs = [...(st.containerStatuses ?? [])].reverse();
    for (const c of cs) {
      const w = c.state?.waiting;
      const t = c.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (st.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  // A deleted pod that already finished keeps its outcome (Completed, Error); only a live one reads Terminating.
  if (pod.metadata?.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && st.phase !== 'Succeeded' && st.phase !== 'Failed') reason = 'Terminating';
  return reason;
}

export function podReady(pod: any): string {
  const cs = pod.status?.containerStatuses ?? [];
  // Sidecars (restartable init containers) count in READY, as kubectl 1.29+ prints it.
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always').map((c: any) => c.name));
  const total = (pod.spec?.containers ?? []).length + sidecars.size;
  const readySidecars = (pod.status?.initContainerStatuses ?? []).filter((c: any) => sidecars.has(c.name) && c.started && c.ready).length;
  return `${cs.filter((c: any) => c.ready).length + readySidecars}/${total}`;
}

/**
 * printPod's RESTARTS: while init containers still run, the restarts of the init containers
 * walked so far; once initialized, only sidecar and regular container restarts count.
 */
export function podRestarts(pod: any, now: Date): string {
  const st = pod.status ?? {};
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always').map((c: any) => c.name));
  const finished = (c: any) => (c.lastState?.terminated?.finishedAt ? Date.parse(c.lastState.terminated.finishedAt) : 0);
  let n = 0;
  let last = 0;
  let sideN = 0;
  let sideLast = 0;
  let initializing = false;
  for (const c of st.initContainerStatuses ?? []) {
    n += c.restartCount ?? 0;
    last = Math.max(last, finished(c));
    if (sidecars.has(c.name)) {
      sideN += c.restartCount ?? 0;
      sideLast = Math.max(sideLast, finished(c));
    }
    if (c.state?.terminated && c.state.terminated.exitCode === 0) continue;
    if (sidecars.has(c.name) && c.started) continue;
    initializing = true;
    break;
  }
  if (!initializing || initializedTrue(st)) {
    n = sideN;
    last = sideLast;
    for (const c of st.containerStatuses ?? []) {
      n += c.restartCount ?? 0;
      last = Math.max(last, finished(c));
    }
  }
  return last && n ? `${n} (${humanDuration(now.getTime() - last)} ago)` : String(n);
}

function initializedTrue(st: any): boolean {
  return (st.conditions ?? []).some((c: any) => c.type === 'Initialized' && c.status === 'True');
}
