/**
 * exec probes and hooks through the runtime's ExecSync, as the kubelet's exec prober:
 * exit code 0 is success, anything else a failure whose output is what the command
 * printed; a timeout is a failure (`command "..." timed out`); a runtime that cannot exec
 * gives `unknown`.
 */
import type { Runtime } from '../runtime/types.js';
import type { ProbeOutcome } from './types.js';

/** Errors a runtime's execSync throws when the command outlived its timeout. */
export function isExecTimeout(err: unknown): boolean {
  const e = err as { timedOut?: boolean; code?: unknown; message?: string };
  return e?.timedOut === true || e?.code === 4 /* gRPC DEADLINE_EXCEEDED */ || /timed? ?out|deadline exceeded/i.test(e?.message ?? '');
}

export async function probeExec(runtime: Runtime, containerId: string, command: string[], timeoutSeconds: number): Promise<ProbeOutcome & { exitCode?: number }> {
  if (!runtime.execSync) return { result: 'unknown', output: `runtime ${runtime.name} does not support exec` };
  try {
    const r = await runtime.execSync(containerId, command, timeoutSeconds);
    const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
    return { result: r.exitCode === 0 ? 'success' : 'failure', output, exitCode: r.exitCode };
  } catch (err) {
    if (isExecTimeout(err)) return { result: 'failure', output: `command "${command.join(' ')}" timed out` };
    return { result: 'unknown', output: (err as Error).message };
  }
}
