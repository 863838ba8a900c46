/**
 * Termination messages: each container instance gets its own file behind
 * terminationMessagePath; once the instance has exited the kubelet reads it (at most
 * 4096 bytes) into state.terminated.message, for the current and the last state.
 * (terminationMessagePolicy FallbackToLogsOnError also falls back to the log tail when
 * the file is empty: not done here.)
 */
import type { ContainerRecord } from './pod-status.js';
import { readTerminationMessage } from './volumes/container-mounts.js';

export class TerminationMessages {
  private readonly files = new Map<string, { path: string; message?: string }>();
  readonly messages = new Map<string, string>();

  /** Remembers the host file of a container instance. */
  record(containerId: string, hostPath: string | undefined): void {
    if (hostPath) this.files.set(containerId, { path: hostPath });
  }

  /** Reads the files of instances that exited; forgets instances no longer shown. */
  async refresh(records: Iterable<ContainerRecord>): Promise<void> {
    const shown = new Map<string, boolean>();
    for (const r of records) for (const c of [r.current, r.previous]) if (c) shown.set(c.id, c.state === 'exited');
    for (const [id, f] of this.files) {
      if (!shown.has(id)) {
        this.files.delete(id);
        this.messages.delete(id);
      } else if (shown.get(id) && f.message === undefined) {
        f.message = await readTerminationMessage(f.path);
        if (f.message) this.messages.set(id, f.message);
      }
    }
  }
}
