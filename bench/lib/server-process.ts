/**
 * `skiff server` as a child process for the benchmarks, so that its RSS is measured alone
 * and the client load does not share its event loop. Starts it on a fresh temp data dir
 * with an ephemeral port, waits for the kubeconfig and for /readyz to answer 200, and
 * always cleans up (child and temp dir) — on stop(), on error, on exit and on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster } from '../../src/store/etcd-process.js';
import { BenchClient } from './https-client.js';

export class BenchServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchServerError';
  }
}

export interface ServerProcessOptions {
  /** sqlite, memory (→ --datastore) or etcd (a real etcd on loopback → --datastore-endpoint). */
  store: string;
  /** Run controllers, scheduler and agent too (default: the API server alone). */
  full?: boolean;
  /** Write a V8 CPU profile of the server into this folder (node --cpu-prof). */
  cpuProfDir?: string;
  startTimeoutMs?: number;
}

const root = new URL('../../..', import.meta.url).pathname;
const live = new Set<ServerProcess>();

// Last-resort cleanup: whatever way the benchmark ends, no child or temp dir is left.
process.on('exit', () => {
  for (const s of live) s.killNow();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const s of live) s.killNow();
    process.exit(130);
  });
}

export class ServerProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  readonly kubeconfig = join(this.dir, 'kubeconfig.yaml');
  private child?: ChildProcess;
  private etcd?: EtcdCluster;
  private stderrTail = '';

  private constructor(private readonly opts: ServerProcessOptions) {
    live.add(this);
  }

  static async start(opts: ServerProcessOptions): Promise<ServerProcess> {
    const s = new ServerProcess(opts);
    try {
      await s.launch();
      return s;
    } catch (err) {
      await s.stop();
      throw err;
    }
  }

  get pid(): number {
    if (!this.child?.pid) throw new BenchServerError('server is not running');
    return this.child.pid;
  }

  private async launch(): Promise<void> {
    const o = this.opts;
    let storeArgs: string[];
    if (o.store === 'etcd') {
      this.etcd = await EtcdCluster.start(1);
      storeArgs = ['--datastore-endpoint', this.etcd.endpoints.join(',')];
    } else if (o.store === 'sqlite' || o.store === 'memory') storeArgs = ['--datastore', o.store];
    else throw new BenchServerError(`unknown store ${JSON.stringify(o.store)} (sqlite, memory or etcd)`);
    const nodeArgs = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
    const args = [...nodeArgs, join(root, 'bin/skiff.js'), 'server', '--data-dir', this.dir, '--https-listen-port', '0', '--log-level', 'warn', ...storeArgs];
    if (!o.full) args.push('--disable-controllers');
    else args.push('--disable-agent'); // no real local node (containerd) in API benchmarks
    // detached: its own process group, so a terminal ^C reaches only us and we stop it in order.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
    while (!existsSync(this.kubeconfig) || !readFileSync(this.kubeconfig, 'utf8').includes('client-key-data')) {
      this.checkAlive();
      if (Date.now() > deadline) throw new BenchServerError(`server wrote no kubeconfig in time${this.tail()}`);
      await sleep(50);
    }
    const c = new BenchClient(this.kubeconfig, 1, 2_000);
    try {
      for (;;) {
        this.checkAlive();
        const r = await c.req('GET', '/readyz').catch(() => undefined);
        if (r?.code === 200) break;
        if (Date.now() > deadline) throw new BenchServerError(`server /readyz not 200 in time${this.tail()}`);
        await sleep(100);
      }
    } finally {
      c.close();
    }
  }

  private checkAlive(): void {
    const c = this.child!;
    if (c.exitCode !== null || c.signalCode !== null) throw new BenchServerError(`server exited (${c.exitCode ?? c.signalCode})${this.tail()}`);
  }

  private tail(): string {
    return this.stderrTail ? `; its stderr ends with:\n${this.stderrTail}` : '';
  }

  /** Resident set size of the server process, in MB (VmRSS from /proc). */
  rssMB(): number {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  }

  /** Graceful stop (SIGTERM, SIGKILL after 10 s), then etcd and the temp dir go. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    await this.etcd?.stop();
    this.etcd = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Synchronous cleanup for process exit: SIGKILL the child, remove the temp dir. */
  killNow(): void {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const m of this.etcd?.members ?? []) m.proc?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
