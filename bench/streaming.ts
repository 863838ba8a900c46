/**
 * bench/streaming: how fast the streaming paths are through the API server to a
 * (simulated) node agent, driven with the real kubectl. Prints:
 *   - kubectl exec POD -- true: wall time per command (includes kubectl's own start-up)
 *   - kubectl logs --tail=10: wall time
 *   - kubectl port-forward: throughput of one connection (websocket tunnel, kubectl
 *     1.32's default), bytes to a loopback sink, and the same with kubectl 1.27 (SPDY)
 * Bounded: --execs N (default 20), --mb M (default 64); each phase has a time limit.
 *   npm run build && node dist/bench/streaming.js [--execs 20] [--mb 64]
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { latency, ms, within } from './lib/stats.js';

const root = new URL('../..', import.meta.url).pathname;
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const EXECS = Math.min(200, arg('execs', 20));
const MB = Math.min(512, arg('mb', 64));

function kubectlBin(minor?: number): string | undefined {
  if (!minor) return 'kubectl';
  const real = realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim());
  const p = join(dirname(real), `kubectl.1.${minor}`);
  return existsSync(p) ? p : undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-stream-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const server = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'server', '--data-dir', dir, '--https-listen-port', '0', '--dns-listen', '127.0.0.1:0', '--simulated-nodes', '1', '--log-level', 'warn'], { stdio: 'ignore' });
  const children: ChildProcess[] = [server];
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  const k = (args: string[], bin = 'kubectl') => spawnSync(bin, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
  try {
    await within('server start', 60_000, (async () => {
      while (!existsSync(kubeconfig) || k(['get', '--raw', '/readyz']).stdout !== 'ok') await new Promise((r) => setTimeout(r, 200));
    })());
    k(['run', 'b', '--image=busybox', '--command', '--', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; sleep inf']);
    await within('pod running', 60_000, (async () => {
      while (k(['get', 'pod', 'b', '-o', 'jsonpath={.status.phase}']).stdout !== 'Running') await new Promise((r) => setTimeout(r, 200));
    })());

    const execMs: number[] = [];
    for (let i = 0; i < EXECS; i++) {
      const t = performance.now();
      const r = k(['exec', 'b', '--', 'true']);
      if (r.status !== 0) throw new Error(`exec failed: ${r.stderr}`);
      execMs.push(performance.now() - t);
    }
    const e = latency(execMs);
    console.log(`kubectl exec b -- true      n=${e.n} p50 ${ms(e.p50)} p99 ${ms(e.p99)}`);
    const logMs: number[] = [];
    for (let i = 0; i < Math.min(EXECS, 10); i++) {
      const t = performance.now();
      k(['logs', 'b', '--tail=10']);
      logMs.push(performance.now() - t);
    }
    const l = latency(logMs);
    console.log(`kubectl logs --tail=10      n=${l.n} p50 ${ms(l.p50)} p99 ${ms(l.p99)}`);
    const baseline: number[] = [];
    for (let i = 0; i < Math.min(EXECS, 10); i++) {
      const t = performance.now();
      k(['get', 'pod', 'b', '-o', 'name']);
      baseline.push(performance.now() - t);
    }
    console.log(`(kubectl get pod, for scale: p50 ${ms(latency(baseline).p50)})`);

    for (const [label, bin] of [['1.32 websocket tunnel', kubectlBin()], ['1.27 SPDY', kubectlBin(27)]] as const) {
      if (!bin) continue;
      const mbps = await within(`port-forward ${label}`, 120_000, portForward(kubeconfig, bin, MB, children));
      console.log(`port-forward (${label}): ${MB} MB one connection, ${mbps.toFixed(1)} MB/s`);
    }
  } finally {
    cleanup();
  }
}

/** Sends mb megabytes through kubectl port-forward to a loopback sink; returns MB/s. */
async function portForward(kubeconfig: string, bin: string, mb: number, children: ChildProcess[]): Promise<number> {
  const total = mb * 1024 * 1024;
  const sink = createServer((s) => {
    let n = 0;
    s.on('data', (d) => {
      n += d.length;
      if (n >= total) s.end('ok');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const port = (sink.address() as { port: number }).port;
  const pf = spawn(bin, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/b', `:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(pf);
  try {
    const local = await new Promise<number>((resolve, reject) => {
      let out = '';
      pf.stdout!.on('data', (d) => {
        out += d;
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      pf.on('close', () => reject(new Error(`port-forward ended: ${out}`)));
    });
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const s = connect(local, '127.0.0.1', async () => {
        for (let i = 0; i < mb; i++) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      });
      s.on('data', (d) => d.toString().includes('ok') && (s.end(), resolve()));
      s.on('error', reject);
    });
    return mb / ((performance.now() - t) / 1000);
  } finally {
    pf.kill('SIGKILL');
    sink.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
