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
  if (!initializing) {
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

export function podRestarts(pod: any, now: Date): string {
  let n = 0;
  let last = 0;
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    n += c.restartCount ?? 0;
    const f = c.lastState?.terminated?.finishedAt;
    if (f) last = Math.max(last, Date.parse(f));
  }
  return last && n ? `${n} (${humanDuration(now.getTime() - last)} ago)` : String(n);
}
