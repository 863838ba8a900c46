/**
 * What the agent's streaming server needs from a runtime that serves exec, attach and
 * port-forward itself, in-process (the simulated runtime). A runtime with a streaming
 * server of its own (CRI) offers `Runtime.streamingUrl` instead and the agent relays.
 */
import type { Readable, Writable } from 'node:stream';

export interface StreamIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  signal: AbortSignal;
}

/** A command that could not be started at all (kubectl shows it as an error, exit code 1). */
export class ExecStartError extends Error {}

export interface InProcessStreaming {
  /** Runs cmd in the running container; resolves with the exit code. */
  execStream(containerId: string, cmd: string[], io: StreamIO): Promise<number>;
  /** Connects to the container's main process until it exits or the client leaves. */
  attachStream(containerId: string, io: StreamIO): Promise<void>;
  /** Where a port of the pod's sandbox is reached from the agent. */
  portForwardAddress(sandboxId: string, port: number): { host: string; port: number };
}

export function isInProcessStreaming(rt: unknown): rt is InProcessStreaming {
  return typeof (rt as InProcessStreaming | undefined)?.execStream === 'function';
}
