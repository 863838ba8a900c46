/**
 * The simulated runtime (hollow nodes, like kwok): sandboxes get an IP from the node's
 * pod CIDR, containers "run" without processes. A container's command decides how it
 * ends, so Jobs can be tested without containers:
 *   sleep N                → runs N seconds, exits 0
 *   sh -c "exit 3"         → exits 3 at once ("sleep 2; exit 3" sleeps first)
 *   true, echo ...         → exits 0 at once; false → exits 1
 *   anything else          → runs until stopped
 * Pod annotations override: skiff.dev/simulate-exit-code, skiff.dev/simulate-duration-seconds.
 * Resource usage (ContainerStats) is deterministic, half the requests unless the pod's
 * skiff.dev/simulate-cpu-usage / -memory-usage say otherwise: see simulated-stats.ts.
 *
 * Commands made of simple statements (touch, rm, echo > F, sleep, exit, trap ... TERM)
 * run as a timeline over a per-container file set that exec commands (exec probes,
 * lifecycle hooks, ExecSync) read and change: `cat /tmp/healthy` fails once the
 * container's `rm -f /tmp/healthy` has happened. See sim-script.ts for the exact rules.
 * Stopping sends a simulated SIGTERM: the container exits 143 at once, unless its command
 * traps TERM, then it exits 137 when the grace period ends (SIGKILL).
 * `history` records starts, execs, signals and exits in order, for tests.
 * Commands the tiny shell understands (echo, sleep, for/while loops, ...) really run:
 * their output is logged for `kubectl logs`, and exec/attach/port-forward work
 * (simulated-process.ts). The two are separate: a `kubectl exec rm F` does not change the
 * file set that exec probes read.
 */
import { randomBytes } from 'node:crypto';
import { execScript, planScript, SimFiles } from './sim-script.js';
import { simulatedStats } from './simulated-stats.js';
import type { ContainerConfig, ContainerStats, ContainerStatus, ExecResult, Runtime, SandboxConfig, SandboxStatus } from './types.js';
import { SimulatedProcesses } from './simulated-process.js';
import type { InProcessStreaming, StreamIO } from '../streaming/types.js';

export interface SimulatedRuntimeOptions {
  /** The node's pod CIDR (a /24 or larger IPv4 block). */
  podCidr: string;
  /** How long a container takes to start (the image pull + start a real node would do). */
  startDelayMs?: number;
  /** Every sandbox gets this IP (unit tests point pods at 127.0.0.1 to probe real listeners). */
  podIp?: string;
  /** Where container logs go (<logDir>/<ns>_<pod>_<uid>/<container>/<attempt>.log); none if unset. */
  logDir?: string;
}

interface Plan {
  exitCode?: number;
  durationMs?: number;
}

/** One entry of the runtime's history (tests check ordering: preStop exec before SIGTERM). */
export interface SimHistoryEntry {
  at: number;
  container: string;
  op: 'start' | 'exec' | 'sigterm' | 'sigkill' | 'exit';
  detail?: string;
}

type SimContainer = ContainerStatus & { plan: Plan; timer?: NodeJS.Timeout; files: SimFiles; ignoresSigterm: boolean; exited: (() => void)[] };

/** Works out from the command line (and annotations) when and how a simulated container ends. */
export function planFor(cfg: ContainerConfig): Plan {
  const a = cfg.podAnnotations;
  if (a['skiff.dev/simulate-exit-code'] !== undefined || a['skiff.dev/simulate-duration-seconds'] !== undefined) {
    const code = a['skiff.dev/simulate-exit-code'];
    const dur = a['skiff.dev/simulate-duration-seconds'];
    return { exitCode: code === undefined ? 0 : Number(code), durationMs: dur === undefined ? 0 : Number(dur) * 1000 };
  }
  const script = planScript([...(cfg.command ?? []), ...(cfg.args ?? [])]);
  if (script) return script.exitCode === undefined ? {} : { exitCode: script.exitCode, durationMs: script.durationMs ?? 0 };
  const words = [...(cfg.command ?? []), ...(cfg.args ?? [])].join(' ');
  const sleep = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(words);
  const exit = /\bexit\s+(\d+)/.exec(words);
  if (exit) return { exitCode: Number(exit[1]), durationMs: sleep ? Number(sleep[1]) * 1000 : 0 };
  if (sleep && !/\b(while|until|inf)\b/.test(words)) return { exitCode: 0, durationMs: Number(sleep[1]) * 1000 };
  // The script itself, without a leading `sh -c` / `bash -c`.
  const line = words.replace(/^\s*(\/bin\/|\/usr\/bin\/)?(sh|bash|ash)\s+-c\s+/, '').trim();
  if (/^((\/bin\/)?true|:)$/.test(line) || /^echo\b[^;&|]*$/.test(line)) return { exitCode: 0, durationMs: 0 };
  if (/^(\/bin\/)?false$/.test(line)) return { exitCode: 1, durationMs: 0 };
  return {};
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}
function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class SimulatedRuntime implements Runtime, InProcessStreaming {
  readonly name = 'simulated';
  private readonly procs: SimulatedProcesses;
  private readonly configs = new Map<string, ContainerConfig>();
  private readonly exitWaiters = new Map<string, Set<() => void>>();
  private readonly sandboxes = new Map<string, SandboxStatus>();
  private readonly containers = new Map<string, SimContainer>();
  readonly history: SimHistoryEntry[] = [];
  private readonly listeners: ((c: ContainerStatus) => void)[] = [];
  private readonly base: number;
  private readonly size: number;
  private nextIp = 2;
  private readonly usedIps = new Set<string>();

  constructor(private readonly o: SimulatedRuntimeOptions) {
    const [ip, bits] = o.podCidr.split('/');
    this.base = ipToInt(ip);
    this.size = 2 ** (32 - Number(bits));
    this.procs = new SimulatedProcesses({ logRoot: o.logDir });
  }

  private allocIp(): string {
    for (let i = 0; i < this.size; i++) {
      const n = 2 + ((this.nextIp - 2 + i) % (this.size - 3));
      const ip = intToIp(this.base + n);
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        this.nextIp = n + 1;
        return ip;
      }
    }
    throw new Error(`no free pod IP in ${this.o.podCidr}`);
  }

  async runPodSandbox(cfg: SandboxConfig): Promise<SandboxStatus> {
    const s: SandboxStatus = { id: randomBytes(16).toString('hex'), podUid: cfg.podUid, ip: cfg.hostNetwork ? '' : (this.o.podIp ?? this.allocIp()), ready: true };
    this.sandboxes.set(s.id, s);
    this.procs.addSandbox(s.id, cfg);
    return s;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    s.ready = false;
    for (const c of this.containers.values()) if (c.sandboxId === id && c.state === 'running') this.finish(c, 137, 'Error');
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const [cid, c] of this.containers) if (c.sandboxId === id) {
      if (c.timer) clearTimeout(c.timer);
      this.containers.delete(cid);
      this.procs.forget(cid);
      this.configs.delete(cid);
    }
    if (s.ip && !this.o.podIp) this.usedIps.delete(s.ip);
    this.sandboxes.delete(id);
    this.procs.removeSandbox(id);
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const id = randomBytes(32).toString('hex');
    const script = planScript([...(cfg.command ?? []), ...(cfg.args ?? [])]);
    this.containers.set(id, {
      id,
      sandboxId,
      name: cfg.name,
      state: 'created',
      createdAt: new Date(),
      image: cfg.image,
      imageId: `sha256:${randomBytes(32).toString('hex')}`,
      plan: planFor(cfg),
      restartCount: cfg.restartCount,
      logPath: this.procs.logPath(sandboxId, cfg),
      files: new SimFiles(),
      ignoresSigterm: script?.ignoresSigterm ?? false,
      exited: [],
    });
    const c = this.containers.get(id)!;
    // The command's file changes, at offsets from the start (placed once it starts).
    (c as any).fileScript = script?.files ?? [];
    this.procs.created(id, sandboxId, cfg);
    this.configs.set(id, cfg);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container ${id} not found`);
    if (this.o.startDelayMs) await new Promise((r) => setTimeout(r, this.o.startDelayMs));
    c.state = 'running';
    c.startedAt = new Date();
    for (const f of (c as any).fileScript as { atMs: number; path: string; content: string | undefined }[]) c.files.write(f.path, f.content, c.startedAt.getTime() + f.atMs);
    this.record(c, 'start');
    const cfg = this.configs.get(id)!;
    const annotated = cfg.podAnnotations['skiff.dev/simulate-exit-code'] !== undefined || cfg.podAnnotations['skiff.dev/simulate-duration-seconds'] !== undefined;
    if (!annotated && this.procs.start(id, cfg, c.logPath, (code) => this.finish(c, code, code === 0 ? 'Completed' : 'Error'))) return;
    if (c.plan.exitCode !== undefined) {
      const code = c.plan.exitCode;
      c.timer = setTimeout(() => this.finish(c, code, code === 0 ? 'Completed' : 'Error'), c.plan.durationMs ?? 0);
    }
  }

  private record(c: ContainerStatus, op: SimHistoryEntry['op'], detail?: string): void {
    this.history.push({ at: Date.now(), container: c.name, op, detail });
    if (this.history.length > 2000) this.history.splice(0, 1000);
  }

  private finish(c: SimContainer, exitCode: number, reason: string): void {
    if (c.state !== 'running') return;
    this.record(c, 'exit', String(exitCode));
    if (c.timer) clearTimeout(c.timer);
    c.timer = undefined;
    c.state = 'exited';
    c.exitCode = exitCode;
    c.reason = reason;
    c.finishedAt = new Date();
    this.procs.stop(c.id);
    for (const w of c.exited.splice(0)) w();
    for (const w of [...(this.exitWaiters.get(c.id) ?? [])]) w();
    for (const l of this.listeners) l(this.snapshot(c));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') return;
    this.record(c, 'sigterm', String(timeoutSeconds));
    // A simulated process honours SIGTERM at once: exit code 143 (128 + SIGTERM),
    // unless it traps TERM: then SIGKILL ends it when the grace period is over (137).
    if (!c.ignoresSigterm) return this.finish(c, 143, 'Error');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        if (c.state === 'running') this.record(c, 'sigkill');
        this.finish(c, 137, 'Error');
      }, Math.max(0, timeoutSeconds) * 1000);
      c.exited.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Runs an exec command against the container's simulated files (see sim-script.ts). */
  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') throw new Error(`container ${id} is not running`);
    this.record(c, 'exec', cmd.join(' '));
    const r = execScript(cmd, c.files, Date.now());
    if (r.sleepMs > 0) {
      const limit = timeoutSeconds > 0 ? timeoutSeconds * 1000 : Infinity;
      await new Promise((res) => setTimeout(res, Math.min(r.sleepMs, limit)));
      if (r.sleepMs > limit) throw Object.assign(new Error(`command ${JSON.stringify(cmd.join(' '))} timed out`), { timedOut: true });
    }
    return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr) };
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c?.timer) clearTimeout(c.timer);
    this.containers.delete(id);
    this.procs.forget(id);
    this.configs.delete(id);
  }

  private snapshot(c: SimContainer): ContainerStatus {
    const { plan: _p, timer: _t, files: _f, ignoresSigterm: _i, exited: _e, fileScript: _s, ...rest } = c as any;
    return { ...rest };
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const c = this.containers.get(id);
    return c && this.snapshot(c);
  }

  async listContainers(sandboxId?: string): Promise<ContainerStatus[]> {
    return [...this.containers.values()].filter((c) => !sandboxId || c.sandboxId === sandboxId).map((c) => this.snapshot(c));
  }

  async listSandboxes(): Promise<SandboxStatus[]> {
    return [...this.sandboxes.values()].map((s) => ({ ...s }));
  }

  /** Deterministic usage derived from the container's requests (simulated-stats.ts). */
  async containerStats(id: string): Promise<ContainerStats> {
    const c = this.containers.get(id);
    const cfg = this.configs.get(id);
    if (!c || !cfg) throw new Error(`container ${id} not found`);
    return simulatedStats(cfg, c.state === 'running' ? c.startedAt?.getTime() : undefined, Date.now());
  }

  onContainerEvent(cb: (c: ContainerStatus) => void): void {
    this.listeners.push(cb);
  }

  execStream(containerId: string, cmd: string[], io: StreamIO): Promise<number> {
    return this.procs.execStream(containerId, cmd, io);
  }

  async attachStream(containerId: string, io: StreamIO): Promise<void> {
    if (this.procs.has(containerId)) return this.procs.attachStream(containerId, io);
    // A container that prints nothing: stay attached until it ends or the client leaves.
    const c = this.containers.get(containerId);
    if (!c || c.state !== 'running') return;
    await new Promise<void>((resolve) => {
      const waiters = this.exitWaiters.get(containerId) ?? new Set<() => void>();
      this.exitWaiters.set(containerId, waiters);
      const done = () => {
        waiters.delete(done);
        if (!waiters.size) this.exitWaiters.delete(containerId);
        resolve();
      };
      waiters.add(done);
      io.signal.addEventListener('abort', done, { once: true });
    });
  }

  portForwardAddress(sandboxId: string, port: number): { host: string; port: number } {
    return this.procs.portForwardAddress(sandboxId, port);
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) {
      if (c.timer) clearTimeout(c.timer);
      this.procs.forget(c.id);
    }
    this.containers.clear();
    this.sandboxes.clear();
  }
}
