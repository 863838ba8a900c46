/**
 * bench/pod-startup: real pods on containerd. A `skiff server` (controllers, scheduler,
 * no local node) and a `skiff agent` on the cri runtime, each its own process, inside a
 * network namespace this benchmark creates (it re-runs itself under `unshare --net`).
 * Measures create→Running per pod (seen through a watch): a few pods one at a time,
 * PODS busybox `sleep` pods created at PACE per second, then PODS more all at once; and
 * the agent's RSS with 0 and with the first PODS + SEQUENTIAL pods. Bounded in count and time; everything is removed at the end.
 * Targets (issue 5): p50 ≤ 1 s, p99 ≤ 2.5 s, agent RSS ≤ 80 MB.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerProcess } from './lib/server-process.js';
import { BenchClient } from './lib/https-client.js';
import { latency, ms, pool, within } from './lib/stats.js';
import { cleanupNode, criSkipReason, setupNodeNetwork } from '../test/cri-node.js';

const PODS = Math.min(200, Number(process.env.PODS ?? 50));
const SEQUENTIAL = Math.min(20, Number(process.env.SEQUENTIAL ?? 5));
/** Pods per second of the paced phase (as upstream's density tests create pods at a set rate). */
const PACE = Math.min(50, Number(process.env.PACE ?? 5));
const NODE = 'bench-node';
const NODE_IP = '192.168.77.1';
const root = new URL('../..', import.meta.url).pathname;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

if (process.env.SKIFF_BENCH_NETNS !== '1') {
  const skip = criSkipReason();
  if (skip) {
    console.log(`bench/pod-startup skipped: ${skip}`);
    process.exit(0);
  }
  const r = spawnSync('unshare', ['--net', process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, SKIFF_BENCH_NETNS: '1' }, timeout: 15 * 60_000 });
  process.exit(r.status ?? 1);
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** utime + stime of a live process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** Busy CPU time of the whole machine in ms (user, nice, system, irq and softirq of /proc/stat's "cpu" line; not a VM's steal). */
function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) * 10;
}

/** The agent's containerd child (the agent starts it unless told an endpoint). */
function childPid(parent: number, comm: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      if (name === comm && Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function podManifest(name: string): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'pod-startup' } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'sleep', image: 'skiff.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  };
}

setupNodeNetwork(NODE_IP);
// The machine is shared: the load when we started says how much CPU the figures had.
const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const agentDir = mkdtempSync(join(tmpdir(), 'skiff-bench-node-'));
let server: ServerProcess | undefined;
let agent: ChildProcess | undefined;
let agentErr = '';
const NS = '/api/v1/namespaces/default/pods';
try {
  server = await ServerProcess.start({ store: 'sqlite', full: true });
  agent = spawn(process.execPath, [...(process.env.AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean), join(root, 'bin/skiff.js'), 'agent', '--kubeconfig', server.kubeconfig, '--data-dir', agentDir, '--node-name', NODE, '--node-ip', NODE_IP, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: process.env.AGENT_NODE_OPTIONS ?? '' } });
  agent.stderr!.on('data', (d) => (agentErr = (agentErr + d).slice(-3000)));
  const c = new BenchClient(server.kubeconfig, 64, 30_000);
  await within('node ready', 90_000, (async () => {
    for (;;) {
      if (agent!.exitCode !== null) throw new Error(`agent exited: ${agentErr}`);
      const r = await c.req('GET', `/api/v1/nodes/${NODE}`);
      if (r.code === 200 && JSON.parse(r.body).status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True' && JSON.parse(r.body).spec?.podCIDR) return;
      await sleep(100);
    }
  })());
  await sleep(3000);
  const rss0 = rssMB(agent.pid!);
  if (process.env.BENCH_DEBUG) spawnSync('sh', ['-c', `cat /proc/${agent.pid}/smaps > /tmp/agent-smaps-0`]);

  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const list = await c.expect(200, 'GET', NS);
  const watch = await c.watch(`${NS}?watch=1&resourceVersion=${list.metadata.resourceVersion}`, (e) => {
    const p = e.object as any;
    if (p.status?.phase === 'Running' && !running.has(p.metadata.name)) running.set(p.metadata.name, performance.now());
  });
  const untilRunning = (names: string[], phase: string, limitMs: number) =>
    within(phase, limitMs, (async () => {
      while (names.some((n) => !running.has(n))) await sleep(10);
    })());

  // One at a time: the latency of a pod on an idle node.
  const seq: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const name = `seq-${i}`;
    created.set(name, performance.now());
    await c.expect(201, 'POST', NS, podManifest(name));
    await untilRunning([name], `sequential pod ${i}`, 30_000);
    seq.push(running.get(name)! - created.get(name)!);
  }

  // Paced: PODS pods at PACE per second.
  const paced = Array.from({ length: PODS }, (_, i) => `paced-${i}`);
  await within(`${PODS} paced pods`, 5 * 60_000, Promise.all(paced.map(async (name, i) => {
    await sleep((i * 1000) / PACE);
    created.set(name, performance.now());
    await c.expect(201, 'POST', NS, podManifest(name));
  })));
  await untilRunning(paced, `${PODS} paced pods Running`, 5 * 60_000);
  // RSS right after the pods started, and once the node has settled (V8 gives back heap
  // pages when its memory reducer runs, about 8 s after allocation slows down).
  await sleep(3000);
  const rssBusy = rssMB(agent.pid!);
  await sleep(12_000);
  const rssN = rssMB(agent.pid!);
  if (process.env.BENCH_DEBUG) {
    // With AGENT_NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2: a heap snapshot of the agent holding its pods.
    spawnSync('sh', ['-c', `cat /proc/${agent.pid}/smaps > /tmp/agent-smaps-N`]);
    if (/heapsnapshot-signal=SIGUSR2/.test(process.env.AGENT_NODE_OPTIONS ?? '')) {
      agent.kill('SIGUSR2');
      await sleep(8000);
    }
  }

  // A burst: PODS pods created at once.
  const names = Array.from({ length: PODS }, (_, i) => `burst-${i}`);
  const containerd = childPid(agent.pid!, 'containerd');
  const cpu0 = { machine: machineBusyMs(), server: cpuMs(server.pid), agent: cpuMs(agent.pid!), containerd: containerd ? cpuMs(containerd) : 0 };
  const t0 = performance.now();
  if (process.env.BENCH_DEBUG) spawnSync('sh', ['-c', `${process.env.BENCH_DEBUG} > /tmp/burst0`]);
  await pool(names, 16, async (name) => {
    created.set(name, performance.now());
    await c.expect(201, 'POST', NS, podManifest(name));
  });
  await untilRunning(names, `${PODS} pods Running`, 5 * 60_000);
  const total = Math.max(...names.map((n) => running.get(n)!)) - t0;
  const cpu1 = { machine: machineBusyMs(), server: cpuMs(server.pid), agent: cpuMs(agent.pid!), containerd: containerd ? cpuMs(containerd) : 0 };
  if (process.env.BENCH_DEBUG) spawnSync('sh', ['-c', `${process.env.BENCH_DEBUG} > /tmp/burst1`]);
  const perPod = (k: keyof typeof cpu0) => ((cpu1[k] - cpu0[k]) / PODS).toFixed(0);
  const rest = (cpu1.machine - cpu0.machine - (cpu1.server - cpu0.server) - (cpu1.agent - cpu0.agent) - (cpu1.containerd - cpu0.containerd)) / PODS;
  const burst = names.map((n) => running.get(n)! - created.get(n)!);
  watch.close();

  const s = latency(seq);
  const b = latency(burst);
  const pc = latency(paced.map((n) => running.get(n)! - created.get(n)!));
  console.log(`bench/pod-startup: real pods (containerd ${spawnSync('containerd', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[2] ?? ''}) on one node, busybox sleep; load average at start ${load0}`);
  console.log(`  one at a time (${SEQUENTIAL}): create→Running p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`);
  console.log(`  ${PODS} at ${PACE}/s:          create→Running p50 ${ms(pc.p50)}  p99 ${ms(pc.p99)}  max ${ms(pc.max)}`);
  console.log(`  ${PODS} at once:          create→Running p50 ${ms(b.p50)}  p99 ${ms(b.p99)}  max ${ms(b.max)}  total ${ms(total)}   (target p50 ≤ 1000 ms, p99 ≤ 2500 ms)`);
  console.log(`  CPU per pod of the burst: ${perPod('machine')} ms in all = server ${perPod('server')} + agent ${perPod('agent')} + containerd ${perPod('containerd')} + shims, runc, CNI, bench and the rest ${rest.toFixed(0)}`);
  console.log(`  agent RSS: ${rss0.toFixed(1)} MB with 0 pods, ${rssN.toFixed(1)} MB with ${PODS + SEQUENTIAL} pods settled (${rssBusy.toFixed(1)} MB 3 s after they started)   (target ≤ 80 MB)`);

  // Clean up through the API first (the agent stops and removes the sandboxes).
  await c.req('DELETE', `${NS}?labelSelector=bench%3Dpod-startup&gracePeriodSeconds=0`);
  await within('pods deleted', 120_000, (async () => {
    while ((await c.expect(200, 'GET', `${NS}?labelSelector=bench%3Dpod-startup`)).items.length) await sleep(200);
  })()).catch((err) => console.error(`warning: ${err.message}`));
  c.close();
} catch (err) {
  console.error(`bench/pod-startup failed: ${(err as Error).message}${agentErr ? `\nagent stderr ends with:\n${agentErr}` : ''}`);
  process.exitCode = 1;
} finally {
  if (process.env.BENCH_DEBUG && agent && agent.exitCode === null) {
    // A graceful stop lets an agent started with --cpu-prof write its profile.
    agent.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 10_000));
  }
  agent?.kill('SIGKILL');
  await cleanupNode(agentDir, NODE);
  await server?.stop();
}
