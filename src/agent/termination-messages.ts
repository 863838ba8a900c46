/**
 * Termination messages: each container instance gets its own file behind
 * terminationMessagePath; once the instance has exited the kubelet reads it (at most
 * 4096 bytes) into state.terminated.message, for the current and the last state. With
 * terminationMessagePolicy FallbackToLogsOnError, an empty file and a non-zero exit code,
 * the message is the tail of the container's log instead: its last 80 lines, at most
 * the last 2048 bytes (kubelet's MaxContainerTerminationMessageLogLines / LogLength).
 */
import { readFile } from 'node:fs/promises';
import type { ContainerRecord } from './pod-status.js';
import type { ContainerStatus } from './runtime/types.js';
import { readTerminationMessage } from './volumes/container-mounts.js';

const LOG_LINES = 80;
const LOG_BYTES = 2048;

/**
 * The last lines of a CRI log file ("<time> <stream> <P|F> <text>" per line; P marks a
 * partial line continued by the next entry), as the application wrote them.
 */
export async function tailCriLog(path: string, lines = LOG_LINES, maxBytes = LOG_BYTES): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  let out = '';
  for (const entry of text.split('\n')) {
    const m = /^\S+ \S+ ([PF]) ?(.*)$/.exec(entry);
    if (!m) continue;
    out += m[2] + (m[1] === 'F' ? '\n' : '');
  }
  const all = out.split('\n');
  if (all[all.length - 1] === '') all.pop();
  const tail = all.slice(-lines).map((l) => l + '\n').join('');
  const buf = Buffer.from(tail);
  return buf.length > maxBytes ? buf.subarray(buf.length - maxBytes).toString('utf8') : tail;
}

export class TerminationMessages {
  private readonly files = new Map<string, { path: string; fallbackToLogs: boolean; message?: string }>();
  readonly messages = new Map<string, string>();

  /** Remembers the host file of a container instance and its terminationMessagePolicy. */
  record(containerId: string, hostPath: string | undefined, policy?: string): void {
    if (hostPath) this.files.set(containerId, { path: hostPath, fallbackToLogs: policy === 'FallbackToLogsOnError' });
  }

  /** Reads the messages of instances that exited; forgets instances no longer shown. */
  async refresh(records: Iterable<ContainerRecord>): Promise<void> {
    const shown = new Map<string, ContainerStatus>();
    for (const r of records) for (const c of [r.current, r.previous]) if (c) shown.set(c.id, c);
    for (const [id, f] of this.files) {
      const c = shown.get(id);
      if (!c) {
        this.files.delete(id);
        this.messages.delete(id);
      } else if (c.state === 'exited' && f.message === undefined) {
        f.message = await readTerminationMessage(f.path);
        if (!f.message && f.fallbackToLogs && (c.exitCode ?? 0) !== 0 && c.logPath) f.message = await tailCriLog(c.logPath);
        if (f.message) this.messages.set(id, f.message);
      }
    }
  }
}
