/**
 * bench/scheduler — modelled on upstream's scheduler_perf: in one process, the real API
 * server on the real store plus the scheduler; nodes are API objects only (no agents),
 * pods are created through the API and bound through pods/binding. Prints one line per
 * case: pods/s, per-pod scheduling latency (scheduler start → bound seen, as every pod is
 * queued at once) p50/p99,
 * and peak RSS.
 *
 *   node dist/bench/scheduler.js [--case a|b|c|all] [--scale 0.1] [--store sqlite|memory]
 *
 *   (a) 10,000 plain pods on 5,000 nodes
 *   (b) 10,000 pods with pod anti-affinity / topology spread on 1,000 nodes
 *   (c) 5,000 pods with node affinity on 5,000 nodes
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clientset, InformerFactory } from '../src/client/clientset.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { defaultConfig } from '../src/server/config.js';
import { SkiffServer } from '../src/server/skiff-server.js';
import { silentLogger } from '../src/util/log.js';

interface Case {
  name: string;
  nodes: number;
  pods: number;
  node: (i: number) => any;
  pod: (i: number) => any;
}

const zones = ['zone-a', 'zone-b', 'zone-c', 'zone-d', 'zone-e'];
const node = (i: number, extra: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': zones[i % zones.length], ...extra } },
  spec: { podCIDR: `10.${42 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.0/24` },
  status: {
    capacity: { cpu: '32', memory: '128Gi', pods: '110' },
    allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench' }],
  },
});
const pod = (i: number, spec: any = {}, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: 'bench', labels: { app: 'bench', ...labels } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '10m', memory: '10Mi' } } }], ...spec },
});

function cases(scale: number): Record<string, Case> {
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  return {
    a: { name: '(a) plain pods', nodes: n(5000), pods: n(10000), node: (i) => node(i), pod: (i) => pod(i) },
    b: {
      name: '(b) anti-affinity + topology spread',
      nodes: n(1000),
      pods: n(10000),
      node: (i) => node(i),
      pod: (i) => {
        const group = `g${i % 500}`;
        return pod(
          i,
          {
            affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { group } }, topologyKey: 'kubernetes.io/hostname' }] } },
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { group } } }],
          },
          { group },
        );
      },
    },
    c: {
      name: '(c) node affinity',
      nodes: n(5000),
      pods: n(5000),
      node: (i) => node(i, { tier: i % 2 ? 'gold' : 'silver' }),
      pod: (i) => pod(i, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] }] } } } }),
    },
  };
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

async function runCase(c: Case, store: 'sqlite' | 'memory'): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-sched-'));
  const server = new SkiffServer(defaultConfig({ dataDir: dir, httpsListenPort: 0, datastore: store, disableControllers: true }), silentLogger);
  const info = await server.start();
  // The scheduler talks to the API in-process, as it does inside `skiff server`.
  void info;
  const rest = server.localClient('bench-scheduler');
  const cs = new Clientset(rest, 'bench');
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const ac = new AbortController();
  try {
    await cs.resource('namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const nodes = cs.resource('nodes');
    await pool(Array.from({ length: c.nodes }, (_, i) => i), 32, async (i) => {
      const n = c.node(i);
      const created = await nodes.create({ ...n, status: undefined });
      await nodes.patch(undefined, created.metadata.name, 'merge', { status: n.status }, { subresource: 'status' });
    });
    const informers = new InformerFactory(cs, silentLogger);
    const sched = new Scheduler({ cs, informers, log: silentLogger });
    const acked = new Map<string, number>();
    const lat: number[] = [];
    let bound = 0;
    let done!: () => void;
    const allBound = new Promise<void>((r) => (done = r));
    informers.informer('pods').addHandlers({
      onUpdate: (o, p) => {
        if (!o.spec?.nodeName && p.spec?.nodeName) {
          const t = acked.get(p.metadata.name);
          if (t !== undefined) lat.push(performance.now() - t);
          if (++bound === c.pods) done();
        }
      },
    });
    // Pods are created first (as scheduler_perf's createPods step), then the scheduler starts:
    // the figure is scheduling throughput, not API create throughput.
    const pods = cs.resource('pods');
    await pool(Array.from({ length: c.pods }, (_, i) => i), 32, async (i) => {
      await pods.create(c.pod(i));
    });
    informers.start(ac.signal);
    await informers.waitForSync();
    const t0 = performance.now();
    for (const p of informers.informer('pods').cache.list()) acked.set(p.metadata.name, t0);
    void sched.start(ac.signal);
    const timeout = new Promise<void>((_, rej) => setTimeout(() => rej(new Error(`timed out with ${bound}/${c.pods} bound`)), 600_000).unref());
    await Promise.race([allBound, timeout]);
    const secs = (performance.now() - t0) / 1000;
    return { case: c.name, nodes: c.nodes, pods: c.pods, podsPerSec: Math.round(c.pods / secs), p50ms: Math.round(pct(lat, 50)), p99ms: Math.round(pct(lat, 99)), peakRssMB: Math.round(peakRss / 2 ** 20), seconds: Number(secs.toFixed(1)) };
  } finally {
    ac.abort();
    clearInterval(rssTimer);
    rest.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const get = (f: string, d: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : d;
  };
  const which = get('--case', 'all');
  const scale = Number(get('--scale', '1'));
  const store = get('--store', 'sqlite') as 'sqlite' | 'memory';
  const all = cases(scale);
  const results = [];
  for (const k of which === 'all' ? ['a', 'b', 'c'] : which.split(',')) {
    const r = await runCase(all[k], store);
    results.push(r);
    console.log(`scheduler ${r.case}: ${r.pods} pods on ${r.nodes} nodes in ${r.seconds}s = ${r.podsPerSec} pods/s, latency p50 ${r.p50ms} ms p99 ${r.p99ms} ms, peak RSS ${r.peakRssMB} MB`);
  }
  console.log('targets: (a) >= 1000 pods/s; (b) no worse than 3x slower than (a)');
  console.log(JSON.stringify({ bench: 'scheduler', store, scale, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
