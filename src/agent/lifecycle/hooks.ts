/**
 * Container lifecycle hooks (postStart, preStop) as the kubelet's handler runner: an exec
 * hook succeeds when the command exits 0; an httpGet hook succeeds when the request gets
 * any response (upstream does not look at the status code of hook requests). The error
 * text follows upstream's, e.g.
 *   Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod "web_default(uid)" failed - error: command 'sh -c exit 1' exited with 1: , message: ""
 */
import { probeExec } from '../probes/exec.js';
import { probeHttp } from '../probes/http.js';
import { resolvePort } from '../probes/ports.js';
import type { HandlerTarget } from '../probes/types.js';

/** How upstream names a pod in messages (format.Pod): name_namespace(uid). */
export const formatPod = (pod: any) => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

export interface HookResult {
  ok: boolean;
  /** Upstream's failure message (the FailedPostStartHook event text). */
  message: string;
}

/** Runs a lifecycle handler; timeoutSeconds 0 means no limit (exec). */
export async function runHook(handler: any, t: HandlerTarget, pod: any, timeoutSeconds: number): Promise<HookResult> {
  const who = `for Container "${t.container.name}" in Pod "${formatPod(pod)}"`;
  if (handler?.exec) {
    const cmd: string[] = handler.exec.command ?? [];
    const r = await probeExec(t.runtime, t.containerId, cmd, timeoutSeconds);
    if (r.result === 'success') return { ok: true, message: '' };
    const err = r.exitCode !== undefined ? `command '${cmd.join(' ')}' exited with ${r.exitCode}: ` : r.output;
    const output = r.exitCode !== undefined ? r.output : '';
    return { ok: false, message: `Exec lifecycle hook ([${cmd.join(' ')}]) ${who} failed - error: ${err}, message: ${JSON.stringify(output)}` };
  }
  if (handler?.httpGet) {
    const h = handler.httpGet;
    let err: string | undefined;
    try {
      const port = resolvePort(h.port, t.container);
      if (t.network) {
        const r = await probeHttp({ ...h, host: h.host || t.podIP, port }, timeoutSeconds > 0 ? timeoutSeconds : 3600);
        // A response of any status is a success for hooks; only transport errors fail.
        if (r.result === 'failure' && !r.output.startsWith('HTTP probe failed')) err = r.output;
      }
    } catch (e) {
      err = (e as Error).message;
    }
    if (err === undefined) return { ok: true, message: '' };
    return { ok: false, message: `HTTP lifecycle hook (${h.path ?? ''}) ${who} failed - error: ${err}` };
  }
  if (handler?.sleep) {
    await new Promise((r) => setTimeout(r, (handler.sleep.seconds ?? 0) * 1000));
    return { ok: true, message: '' };
  }
  return { ok: false, message: `Cannot run handler: unknown handler type ${who}` };
}
