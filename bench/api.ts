/**
 * bench/api — the API server on its store, measured from a separate client process:
 * create throughput at concurrency 1 and 32, GET and LIST (1,000 objects) latency, watch
 * delivery latency (write sent → event received), server RSS idle and after 10,000
 * objects. `--store sqlite|memory|etcd` (etcd: a real etcd started on loopback).
 *
 *   node dist/bench/api.js [--store sqlite] [--count 10000] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFromKubeconfig } from '../src/client/rest.js';
import { EtcdCluster } from '../src/store/etcd-process.js';
import { ms, percentile, pool, rssMB } from './lib/stats.js';

const args = process.argv.slice(2);
const arg = (f: string, d: string) => (args.includes(f) ? args[args.indexOf(f) + 1] : d);
const stores = arg('--store', 'sqlite').split(',');
const total = Number(arg('--count', '10000'));
const root = new URL('../..', import.meta.url).pathname;

interface Client {
  req(method: string, path: string, body?: unknown): Promise<{ code: number; body: string }>;
  agent: Agent;
  url: URL;
  opts: { ca: string; cert?: string; key?: string };
}

function client(kubeconfig: string, sockets: number): Client {
  const c = credentialsFromKubeconfig(kubeconfig);
  const url = new URL(c.server);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, ca: c.caPem, cert: c.certPem, key: c.keyPem });
  const opts = { ca: c.caPem, cert: c.certPem, key: c.keyPem };
  return {
    agent,
    url,
    opts,
    req: (method, path, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const r = request({ host: url.hostname, port: url.port, path, method, agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body: b }));
        });
        r.on('error', reject);
        if (data) r.write(data);
        r.end();
      }),
  };
}

const cm = (name: string, extra: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { key: 'value', ...extra } });

async function within<T>(what: string, p: Promise<T>, ms = 180_000): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} took longer than ${ms / 1000}s`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

async function runFor(store: string): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  let etcd: EtcdCluster | undefined;
  let child: ChildProcess | undefined;
  try {
    const storeArgs = store === 'etcd' ? ['--datastore-endpoint', (etcd = await EtcdCluster.start(1)).endpoints.join(',')] : ['--datastore', store];
    child = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'server', '--data-dir', dir, '--https-listen-port', '0', '--disable-controllers', '--log-level', 'warn', ...storeArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
    const kc = join(dir, 'kubeconfig.yaml');
    await within('server start', (async () => {
      while (!existsSync(kc)) await new Promise((r) => setTimeout(r, 50));
    })(), 60_000);
    const c = client(kc, 64);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssMB(child.pid!);
    await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const base = '/api/v1/namespaces/bench/configmaps';

    const seq = Math.min(1000, Math.floor(total / 10));
    let t0 = performance.now();
    for (let i = 0; i < seq; i++) await c.req('POST', base, cm(`s${i}`));
    const c1 = seq / ((performance.now() - t0) / 1000);

    const par = total - seq;
    t0 = performance.now();
    await within('concurrent creates', pool([...Array(par).keys()], 32, async (i) => {
      const r = await c.req('POST', base, cm(`p${i}`));
      if (r.code !== 201) throw new Error(`create answered ${r.code}: ${r.body}`);
    }));
    const c32 = par / ((performance.now() - t0) / 1000);
    const after = rssMB(child.pid!);

    const gets: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const s = performance.now();
      await c.req('GET', `${base}/s${i % seq}`);
      gets.push(performance.now() - s);
    }
    await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'list1000' } });
    await pool([...Array(1000).keys()], 32, async (i) => void (await c.req('POST', '/api/v1/namespaces/list1000/configmaps', cm(`l${i}`))));
    const lists: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      const r = await c.req('GET', '/api/v1/namespaces/list1000/configmaps');
      if (i === 0 && JSON.parse(r.body).items.length !== 1000) throw new Error('list did not return 1000 items');
      lists.push(performance.now() - s);
    }

    // Watch delivery: a watch on its own namespace, 500 sequential creates timed to their events.
    await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } });
    const sent = new Map<string, number>();
    const delivery: number[] = [];
    let wake: (() => void) | undefined;
    const wreq = request({ host: c.url.hostname, port: c.url.port, path: '/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=0', ...c.opts, agent: false });
    const ready = new Promise<void>((resolve, reject) => {
      wreq.on('response', (res) => {
        resolve();
        res.on('error', () => {});
        const rl = createInterface({ input: res });
        rl.on('error', () => {});
        rl.on('line', (line) => {
          const name = JSON.parse(line).object?.metadata?.name;
          const s = sent.get(name);
          if (s !== undefined) {
            delivery.push(performance.now() - s);
            wake?.();
          }
        });
      });
      wreq.on('error', reject);
    });
    wreq.end();
    await ready;
    await within('watch delivery', (async () => {
      for (let i = 0; i < 500; i++) {
        const got = new Promise<void>((r) => (wake = r));
        sent.set(`w${i}`, performance.now());
        await c.req('POST', '/api/v1/namespaces/w/configmaps', cm(`w${i}`));
        await got;
      }
    })());
    wreq.destroy();
    c.agent.destroy();
    return {
      store,
      creates1PerSec: Math.round(c1),
      creates32PerSec: Math.round(c32),
      getP50: percentile(gets, 50),
      getP99: percentile(gets, 99),
      list1000P50: percentile(lists, 50),
      list1000P99: percentile(lists, 99),
      watchP50: percentile(delivery, 50),
      watchP99: percentile(delivery, 99),
      rssIdleMB: Math.round(idle),
      rssAfterMB: Math.round(after),
      objects: total,
    };
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((r) => child!.once('exit', r));
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const results = [];
  for (const s of stores) {
    const r = await runFor(s);
    results.push(r);
    console.log(`api [${r.store}] creates: ${r.creates1PerSec}/s at concurrency 1, ${r.creates32PerSec}/s at concurrency 32 (target >= 2000/s)`);
    console.log(`api [${r.store}] GET p50 ${ms(r.getP50 as number)} p99 ${ms(r.getP99 as number)}; LIST(1000) p50 ${ms(r.list1000P50 as number)} p99 ${ms(r.list1000P99 as number)}`);
    console.log(`api [${r.store}] watch delivery p50 ${ms(r.watchP50 as number)} p99 ${ms(r.watchP99 as number)} (target p99 <= 20 ms)`);
    console.log(`api [${r.store}] server RSS idle ${r.rssIdleMB} MB (target <= 120 MB), after ${r.objects} objects ${r.rssAfterMB} MB`);
  }
  console.log(JSON.stringify({ bench: 'api', results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
