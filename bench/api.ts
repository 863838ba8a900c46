/**
 * bench/api — the API server on its store, measured from this (separate) client process
 * against `skiff server` started as a child: server RSS idle and after N objects, ConfigMap
 * create throughput at concurrency 1 and 32, GET latency of one object, LIST latency of a
 * namespace holding 1,000 objects, and watch delivery latency (write sent → event received).
 *
 *   node dist/bench/api.js [--store sqlite|memory|etcd[,..]] [--count 10000] [--json]
 *                          [--full] [--cpu-prof DIR] [--phase-timeout 120] [--rounds 1]
 *
 * --count scales every phase (10000 = the full run); --full also runs controllers, scheduler
 * and agent in the server; --cpu-prof writes the server's V8 CPU profile into DIR.
 *
 * With several stores the figures are also printed side by side, each store against the
 * first (e.g. `--store sqlite,etcd`), with the target for etcd: creates at concurrency 32
 * within 2x of SQLite. The CPU time per create of the server, of etcd and of this client
 * is printed too: on a shared machine throughput moves with the neighbours' load, CPU per
 * create much less. --rounds N runs the stores N times, alternating their order each
 * round so that neither always meets the same neighbours, and compares per-store medians.
 */
import { cpus, loadavg } from 'node:os';
import { BenchClient, type WatchEvent } from './lib/https-client.js';
import { ServerProcess } from './lib/server-process.js';
import { latency, ms, pool, within, type Latency } from './lib/stats.js';

const TARGETS = { creates32PerSec: 2000, watchP99Ms: 20, rssIdleMB: 120, etcdCreatesVsSqlite: 2 };

class UsageError extends Error {}

interface Flags {
  stores: string[];
  count: number;
  json: boolean;
  full: boolean;
  cpuProfDir?: string;
  phaseMs: number;
  rounds: number;
}

function parseFlags(argv: string[]): Flags {
  const val = (f: string) => {
    const i = argv.indexOf(f);
    if (i < 0) return undefined;
    if (i + 1 >= argv.length) throw new UsageError(`${f} needs a value`);
    return argv[i + 1];
  };
  const count = Number(val('--count') ?? 10_000);
  const phase = Number(val('--phase-timeout') ?? 120);
  const rounds = Number(val('--rounds') ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9) throw new UsageError('--rounds must be an integer from 1 to 9');
  if (!Number.isInteger(count) || count < 20) throw new UsageError('--count must be an integer >= 20');
  if (!(phase > 0)) throw new UsageError('--phase-timeout must be a positive number of seconds');
  return { stores: (val('--store') ?? 'sqlite').split(','), count, json: argv.includes('--json'), full: argv.includes('--full'), cpuProfDir: val('--cpu-prof'), phaseMs: phase * 1000, rounds };
}

export interface ApiBenchResult {
  store: string;
  mode: 'api-only' | 'full';
  objects: number;
  rssIdleMB: number;
  rssAfterMB: number;
  creates1: { n: number; perSec: number };
  creates32: { n: number; perSec: number };
  /** CPU microseconds per create at concurrency 32: the server, the store's processes (etcd), this client. */
  cpuPerCreate32: { serverUs: number; storeUs: number; clientUs: number };
  /** 1-minute load average when the store's run started (2 cores shared with others). */
  load1: number;
  get: Latency;
  list: Latency & { objects: number };
  watch: Latency;
}

const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { key: 'value', ...data } });
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

async function createNamespace(c: BenchClient, name: string): Promise<void> {
  await c.expect(201, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function runFor(store: string, f: Flags): Promise<ApiBenchResult> {
  const scale = (n: number, min: number) => Math.max(min, Math.round((n * f.count) / 10_000));
  const seqN = scale(1000, 10);
  const parN = f.count - seqN;
  const getN = scale(1000, 10);
  const listObjects = scale(1000, 10);
  const listN = scale(50, 5);
  const watchN = scale(500, 20);
  const phase = <T>(name: string, p: Promise<T>) => within(name, f.phaseMs, p);

  const load1 = loadavg()[0];
  const server = await phase('server start', ServerProcess.start({ store, full: f.full, cpuProfDir: f.cpuProfDir }));
  const c = new BenchClient(server.kubeconfig, 32);
  let watch: { close(): void } | undefined;
  try {
    await sleep(2000);
    const rssIdleMB = server.rssMB();
    const base = '/api/v1/namespaces/default/configmaps';

    // Creates, one at a time, then 32 in flight (Kubernetes POST answers 201 Created).
    let t0 = performance.now();
    await phase('creates at concurrency 1', (async () => {
      for (let i = 0; i < seqN; i++) await c.expect(201, 'POST', base, cm(`s-${i}`));
    })());
    const c1 = seqN / ((performance.now() - t0) / 1000);
    const cpu0 = { server: server.cpuSeconds(), store: server.storeCpuSeconds(), client: process.cpuUsage() };
    t0 = performance.now();
    await phase('creates at concurrency 32', pool([...Array(parN).keys()], 32, async (i) => void (await c.expect(201, 'POST', base, cm(`p-${i}`)))));
    const c32 = parN / ((performance.now() - t0) / 1000);
    const clientCpu = process.cpuUsage(cpu0.client);
    const perCreateUs = (seconds: number) => Math.round((seconds * 1e6) / parN);
    const cpuPerCreate32 = {
      serverUs: perCreateUs(server.cpuSeconds() - cpu0.server),
      storeUs: perCreateUs(server.storeCpuSeconds() - cpu0.store),
      clientUs: perCreateUs((clientCpu.user + clientCpu.system) / 1e6),
    };
    await sleep(2000);
    const rssAfterMB = server.rssMB();

    const gets: number[] = [];
    await phase('GETs', (async () => {
      for (let i = 0; i < getN; i++) {
        const s = performance.now();
        await c.expect(200, 'GET', `${base}/s-0`);
        gets.push(performance.now() - s);
      }
    })());

    await createNamespace(c, 'bench-list');
    const listPath = '/api/v1/namespaces/bench-list/configmaps';
    await phase('LIST setup', pool([...Array(listObjects).keys()], 32, async (i) => void (await c.expect(201, 'POST', listPath, cm(`l-${i}`)))));
    const lists: number[] = [];
    await phase('LISTs', (async () => {
      for (let i = 0; i < listN; i++) {
        const s = performance.now();
        const r = await c.req('GET', listPath);
        lists.push(performance.now() - s);
        const items = r.code === 200 ? JSON.parse(r.body).items?.length : -1;
        if (items !== listObjects) throw new Error(`LIST answered ${r.code} with ${items} items, wanted ${listObjects}`);
      }
    })());

    // Watch delivery: watch from the namespace's list resourceVersion, then sequential writes
    // (first half creates, second half updates of those) each tagged with its sequence number;
    // the next write goes only after the previous event arrived, so nothing queues.
    await createNamespace(c, 'bench-watch');
    const wpath = '/api/v1/namespaces/bench-watch/configmaps';
    const rv = (await c.expect<{ metadata: { resourceVersion: string } }>(200, 'GET', `${wpath}?limit=1`)).metadata.resourceVersion;
    const sent = new Map<string, number>();
    const delivery: number[] = [];
    let arrived: ((e: WatchEvent) => void) | undefined;
    watch = await phase('watch open', c.watch(`${wpath}?watch=1&resourceVersion=${rv}`, (e) => {
      const seq = e.object?.data?.seq;
      const s = seq === undefined ? undefined : sent.get(seq);
      if (s === undefined) return;
      delivery.push(performance.now() - s);
      sent.delete(seq!);
      arrived?.(e);
    }));
    await phase('watch delivery', (async () => {
      const half = Math.floor(watchN / 2);
      const created: any[] = [];
      for (let i = 0; i < watchN; i++) {
        const seq = String(i);
        const want = i < half ? 'ADDED' : 'MODIFIED';
        const got = new Promise<WatchEvent>((r) => (arrived = r));
        sent.set(seq, performance.now());
        if (i < half) created.push(await c.expect(201, 'POST', wpath, cm(`w-${i}`, { seq })));
        else {
          const o = created[i - half];
          await c.expect(200, 'PUT', `${wpath}/${o.metadata.name}`, { ...o, data: { ...o.data, seq } });
        }
        const e = await got;
        if (e.type !== want) throw new Error(`watch sent ${e.type} for write ${i}, wanted ${want}`);
      }
    })());

    return {
      store,
      mode: f.full ? 'full' : 'api-only',
      objects: f.count,
      rssIdleMB: Math.round(rssIdleMB),
      rssAfterMB: Math.round(rssAfterMB),
      creates1: { n: seqN, perSec: Math.round(c1) },
      creates32: { n: parN, perSec: Math.round(c32) },
      cpuPerCreate32,
      load1: Math.round(load1 * 100) / 100,
      get: latency(gets),
      list: { ...latency(lists), objects: listObjects },
      watch: latency(delivery),
    };
  } finally {
    watch?.close();
    c.close();
    await server.stop();
  }
}

const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

function print(r: ApiBenchResult): void {
  const p = `api [${r.store}, ${r.mode}]`;
  console.log(`${p} server RSS idle:            ${r.rssIdleMB} MB  (target <= ${TARGETS.rssIdleMB} MB: ${mark(r.rssIdleMB <= TARGETS.rssIdleMB)})`);
  console.log(`${p} creates, concurrency 1:     ${r.creates1.perSec} objects/s  (${r.creates1.n} creates)`);
  console.log(`${p} creates, concurrency 32:    ${r.creates32.perSec} objects/s  (${r.creates32.n} creates; target >= ${TARGETS.creates32PerSec}/s: ${mark(r.creates32.perSec >= TARGETS.creates32PerSec)})`);
  const cpu = r.cpuPerCreate32;
  console.log(`${p} CPU per create at c32:      server ${cpu.serverUs} us, store ${cpu.storeUs} us, bench client ${cpu.clientUs} us  (load average ${r.load1} at start)`);
  console.log(`${p} GET one object:             p50 ${ms(r.get.p50)}  p99 ${ms(r.get.p99)}  (${r.get.n} GETs)`);
  console.log(`${p} LIST ${r.list.objects} objects:          p50 ${ms(r.list.p50)}  p99 ${ms(r.list.p99)}  (${r.list.n} LISTs)`);
  console.log(`${p} watch delivery:             p50 ${ms(r.watch.p50)}  p99 ${ms(r.watch.p99)}  (${r.watch.n} writes; target p99 <= ${TARGETS.watchP99Ms} ms: ${mark(r.watch.p99 <= TARGETS.watchP99Ms)})`);
  console.log(`${p} server RSS, ${r.objects} objects:  ${r.rssAfterMB} MB`);
}

/** The stores side by side, each against the first (the baseline, normally sqlite). */
function printSideBySide(rs: ApiBenchResult[]): void {
  const base = rs[0];
  const col = (s: string) => s.padStart(14);
  const row = (label: string, cells: string[]) => console.log(`${label.padEnd(34)}${cells.map(col).join('')}`);
  const ratio = (x: number, b: number) => (b > 0 ? `${(x / b).toFixed(2)}x` : '-');
  console.log('');
  row(`api side by side (${base.mode})`, rs.map((r) => r.store));
  row('creates c1 (objects/s)', rs.map((r) => String(r.creates1.perSec)));
  row('creates c32 (objects/s)', rs.map((r) => String(r.creates32.perSec)));
  row('  server CPU per create (us)', rs.map((r) => String(r.cpuPerCreate32.serverUs)));
  row('  store CPU per create (us)', rs.map((r) => String(r.cpuPerCreate32.storeUs)));
  row('GET p99 (ms)', rs.map((r) => r.get.p99.toFixed(2)));
  row(`LIST ${base.list.objects} p99 (ms)`, rs.map((r) => r.list.p99.toFixed(1)));
  row('watch delivery p99 (ms)', rs.map((r) => r.watch.p99.toFixed(2)));
  for (const r of rs.slice(1)) {
    const slower = base.creates32.perSec / Math.max(1, r.creates32.perSec);
    const verdict = r.store === 'etcd' && base.store === 'sqlite' ? `  (target: etcd within ${TARGETS.etcdCreatesVsSqlite}x of sqlite: ${mark(slower <= TARGETS.etcdCreatesVsSqlite)})` : '';
    console.log(`${r.store} vs ${base.store}: creates c32 ${slower.toFixed(2)}x slower${verdict}; GET p99 ${ratio(r.get.p99, base.get.p99)}, LIST p99 ${ratio(r.list.p99, base.list.p99)}, watch p99 ${ratio(r.watch.p99, base.watch.p99)}`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** One store's runs folded into one result: the median of each figure (lower median for an even count). */
function medianOf(rs: ApiBenchResult[]): ApiBenchResult {
  const m = (get: (r: ApiBenchResult) => number) => median(rs.map(get));
  const lat = (get: (r: ApiBenchResult) => Latency): Latency => ({ p50: m((r) => get(r).p50), p99: m((r) => get(r).p99), max: m((r) => get(r).max), n: get(rs[0]).n });
  const r0 = rs[0];
  return {
    ...r0,
    rssIdleMB: m((r) => r.rssIdleMB),
    rssAfterMB: m((r) => r.rssAfterMB),
    creates1: { n: r0.creates1.n, perSec: m((r) => r.creates1.perSec) },
    creates32: { n: r0.creates32.n, perSec: m((r) => r.creates32.perSec) },
    cpuPerCreate32: { serverUs: m((r) => r.cpuPerCreate32.serverUs), storeUs: m((r) => r.cpuPerCreate32.storeUs), clientUs: m((r) => r.cpuPerCreate32.clientUs) },
    load1: m((r) => r.load1),
    get: lat((r) => r.get),
    list: { ...lat((r) => r.list), objects: r0.list.objects },
    watch: lat((r) => r.watch),
  };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  const results: ApiBenchResult[] = [];
  for (let round = 0; round < f.rounds; round++) {
    for (const store of round % 2 ? [...f.stores].reverse() : f.stores) {
      const r = await runFor(store, f);
      results.push(r);
      if (!f.json) print(r);
    }
  }
  const folded = f.stores.map((s) => results.filter((r) => r.store === s)).map((rs) => (rs.length > 1 ? medianOf(rs) : rs[0]));
  if (!f.json && folded.length > 1) {
    if (f.rounds > 1) console.log(`\n(medians of ${f.rounds} rounds, store order alternating)`);
    printSideBySide(folded);
  }
  console.log(JSON.stringify({ bench: 'api', cores: cpus().length, node: process.version, targets: TARGETS, results }));
}

main().catch((err) => {
  console.error(err instanceof UsageError ? `bench/api: ${err.message}` : err);
  process.exit(err instanceof UsageError ? 2 : 1);
});
