/**
 * The "processes" of simulated containers: a container whose command the tiny shell
 * understands (simulated-shell.ts) runs it, its output goes to a CRI-format log file
 * (<log dir>/<namespace>_<pod>_<uid>/<container>/<attempt>.log, as the kubelet lays them
 * out) and to attached clients, and it exits with the script's status. `kubectl exec`
 * runs commands the same way (hostname prints the pod's hostname; env the container's
 * environment; cat copies stdin; `sh` alone reads commands from stdin).
 * Port-forward to a simulated pod reaches the node's loopback: port P of any simulated
 * pod is 127.0.0.1:P on the machine running the agent.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { CriLogWriter, type LogStream } from '../streaming/cri-log.js';
import { ExecStartError, type StreamIO } from '../streaming/types.js';
import { hasIO, parseCommand, parseScript, runProgram, type Node } from './simulated-shell.js';
import type { ContainerConfig, SandboxConfig } from './types.js';

interface SandboxInfo {
  namespace: string;
  name: string;
  uid: string;
  hostname: string;
  logDir?: string;
}

interface Proc {
  ac: AbortController;
  output: EventEmitter;
  stdin?: PassThrough;
  /** spec.stdinOnce: the first attached client's stdin EOF closes the container's stdin. */
  stdinOnce: boolean;
  env: Record<string, string>;
  sandboxId: string;
}

export class SimulatedProcesses {
  private readonly sandboxes = new Map<string, SandboxInfo>();
  private readonly attempts = new Map<string, number>();
  private readonly procs = new Map<string, Proc>();
  private readonly envs = new Map<string, { env: Record<string, string>; sandboxId: string }>();

  constructor(private readonly o: { logRoot?: string; portForwardHost?: string } = {}) {}

  addSandbox(id: string, cfg: SandboxConfig): void {
    const logDir = cfg.logDirectory ?? (this.o.logRoot ? join(this.o.logRoot, `${cfg.namespace}_${cfg.name}_${cfg.podUid}`) : undefined);
    this.sandboxes.set(id, { namespace: cfg.namespace, name: cfg.name, uid: cfg.podUid, hostname: cfg.hostname ?? cfg.name, logDir });
  }

  removeSandbox(id: string): void {
    this.sandboxes.delete(id);
    for (const k of this.attempts.keys()) if (k.startsWith(`${id}/`)) this.attempts.delete(k);
  }

  /** The log file of a new container of the sandbox (attempt = restartCount, else counted here). */
  logPath(sandboxId: string, cfg: ContainerConfig): string | undefined {
    const sb = this.sandboxes.get(sandboxId);
    const key = `${sandboxId}/${cfg.name}`;
    const attempt = cfg.restartCount ?? this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    return sb?.logDir ? join(sb.logDir, cfg.name, `${attempt}.log`) : undefined;
  }

  /** Records a created container's environment (for exec's `env`). */
  created(containerId: string, sandboxId: string, cfg: ContainerConfig): void {
    const sb = this.sandboxes.get(sandboxId);
    const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: sb?.hostname ?? '' };
    for (const e of cfg.env ?? []) env[e.name] = e.value;
    this.envs.set(containerId, { env, sandboxId });
  }

  /**
   * Starts the container's program when its command is understood; calls onExit with its
   * status when it ends by itself. Returns false (nothing started) otherwise.
   */
  start(containerId: string, cfg: ContainerConfig, logPath: string | undefined, onExit: (code: number) => void): boolean {
    const prog = parseCommand([...(cfg.command ?? []), ...(cfg.args ?? [])]);
    const info = this.envs.get(containerId);
    // Sleeps and exits alone are the runtime's timers (cheaper with thousands of hollow pods).
    if (!prog || !info || !hasIO(prog)) return false;
    const log = logPath ? new CriLogWriter(logPath) : undefined;
    const output = new EventEmitter();
    const emit = (stream: LogStream, s: string) => {
      log?.write(stream, s);
      output.emit('data', stream, s);
    };
    const proc: Proc = { ac: new AbortController(), output, stdin: cfg.stdin ? new PassThrough() : undefined, stdinOnce: !!cfg.stdinOnce, env: info.env, sandboxId: info.sandboxId };
    this.procs.set(containerId, proc);
    const sb = this.sandboxes.get(info.sandboxId);
    void runProgram(prog, {
      stdout: (s) => emit('stdout', s),
      stderr: (s) => emit('stderr', s),
      readStdin: proc.stdin ? (onData) => readAll(proc.stdin!, onData, proc.ac.signal) : undefined,
      env: info.env,
      hostname: sb?.hostname ?? '',
      signal: proc.ac.signal,
    }).then(
      (code) => {
        this.procs.delete(containerId);
        output.emit('exit', code);
        if (!proc.ac.signal.aborted) onExit(code);
      },
      () => {
        this.procs.delete(containerId);
        output.emit('exit', 1);
        if (!proc.ac.signal.aborted) onExit(1);
      },
    );
    return true;
  }

  /** Ends a container's program (stop or kill). */
  stop(containerId: string): void {
    const p = this.procs.get(containerId);
    if (!p) return;
    this.procs.delete(containerId);
    p.ac.abort();
    p.output.emit('exit', 143);
  }

  forget(containerId: string): void {
    this.stop(containerId);
    this.envs.delete(containerId);
  }

  async execStream(containerId: string, cmd: string[], io: StreamIO): Promise<number> {
    const info = this.envs.get(containerId);
    if (!info) throw new ExecStartError(`container ${containerId} not found`);
    const sb = this.sandboxes.get(info.sandboxId);
    const nl = (s: string) => (io.tty ? s.replace(/\r?\n/g, '\r\n') : s);
    const shellIO = {
      stdout: (s: string) => io.stdout?.write(nl(s)),
      stderr: (s: string) => (io.tty ? io.stdout : io.stderr)?.write(nl(s)),
      readStdin: io.stdin ? (onData: (s: string) => void) => readAll(io.stdin!, onData, io.signal) : undefined,
      env: info.env,
      hostname: sb?.hostname ?? '',
      signal: io.signal,
    };
    const interactive = /^(\/bin\/)?(sh|bash|ash)$/.test(cmd[0] ?? '') && cmd.length === 1;
    if (interactive) return this.interactive(shellIO, io);
    const prog = parseCommand(cmd);
    if (!prog) throw new ExecStartError(`exec: "${cmd[0] ?? ''}": executable file not found in $PATH`);
    return runProgram(prog, shellIO);
  }

  /** `sh` with no script: runs each line read from stdin until `exit` or end of input. */
  private async interactive(shellIO: Parameters<typeof runProgram>[1], io: StreamIO): Promise<number> {
    if (!io.stdin) return 0;
    const prompt = () => io.tty && shellIO.stdout('/ # ');
    prompt();
    let buf = '';
    let status = 0;
    for await (const chunk of io.stdin as AsyncIterable<Buffer>) {
      // A terminal sends carriage returns; echo what is typed as a tty would.
      let text = chunk.toString();
      if (io.tty) {
        text = text.replace(/\r/g, '\n');
        shellIO.stdout(text);
      }
      buf += text;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) {
          if (/^exit(\s+\d+)?$/.test(line)) return Number(line.split(/\s+/)[1] ?? status);
          const prog: Node[] | undefined = parseScript(line);
          if (!prog) {
            shellIO.stderr(`sh: ${line.split(/\s+/)[0]}: not found\n`);
            status = 127;
          } else status = await runProgram(prog, { ...shellIO, readStdin: undefined });
        }
        prompt();
      }
    }
    return status;
  }

  /** Whether the container runs a program (output, stdin) rather than just a timer. */
  has(containerId: string): boolean {
    return this.procs.has(containerId);
  }

  async attachStream(containerId: string, io: StreamIO): Promise<void> {
    const p = this.procs.get(containerId);
    if (!p) return;
    const onData = (stream: LogStream, s: string) => (stream === 'stderr' && !io.tty ? io.stderr : io.stdout)?.write(s);
    p.output.on('data', onData);
    if (io.stdin && p.stdin) {
      io.stdin.on('data', (d) => p.stdin!.write(d));
      if (p.stdinOnce) io.stdin.once('end', () => p.stdin!.end());
    }
    await new Promise<void>((resolve) => {
      p.output.once('exit', () => resolve());
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    p.output.off('data', onData);
  }

  portForwardAddress(_sandboxId: string, port: number): { host: string; port: number } {
    return { host: this.o.portForwardHost ?? '127.0.0.1', port };
  }
}

function readAll(r: Readable, onData: (s: string) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (r.readableEnded || signal.aborted) return resolve();
    const data = (d: Buffer) => onData(d.toString());
    const done = () => {
      r.off('data', data);
      r.off('end', done);
      r.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    r.on('data', data);
    r.once('end', done);
    r.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
