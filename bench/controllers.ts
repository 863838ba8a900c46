/**
 * bench/controllers — a Deployment of 1,000 replicas on 100 simulated nodes, end to end:
 * `skiff server --simulated-nodes 100` runs as its own process; the Deployment is applied
 * with the real kubectl; we time until every replica is Ready (available), then a full
 * rolling update (kubectl set image) until the rollout is complete. Prints pods/s.
 *
 *   node dist/bench/controllers.js [--replicas 1000] [--nodes 100]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFromKubeconfig, RestClient } from '../src/client/rest.js';

const args = process.argv.slice(2);
const arg = (f: string, d: string) => {
  const i = args.indexOf(f);
  return i >= 0 ? args[i + 1] : d;
};
const replicas = Number(arg('--replicas', '1000'));
const nodes = Number(arg('--nodes', '100'));
const root = new URL('../..', import.meta.url).pathname;

/** User+system CPU time of a process so far, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-ctl-'));
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [...(args.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', join(root, 'prof')] : []), join(root, 'bin/skiff.js'), 'server', '--data-dir', dir, '--https-listen-port', '0', '--simulated-nodes', String(nodes), '--simulated-node-capacity', `cpu=64,memory=256Gi,pods=${Math.max(110, Math.ceil((replicas * 2.5) / nodes))}`, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const kc = join(dir, 'kubeconfig.yaml');
    await until('kubeconfig', 60_000, async () => existsSync(kc));
    const rest = new RestClient(credentialsFromKubeconfig(kc));
    await until(`${nodes} Ready nodes with pod CIDRs`, 120_000, async () => {
      const l = await rest.request('/api/v1/nodes').catch(() => ({ items: [] }));
      return l.items.filter((n: any) => n.spec?.podCIDR && n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length >= nodes;
    });
    const kubectl = (...a: string[]) => {
      const r = spawnSync('kubectl', ['--kubeconfig', kc, ...a], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`kubectl ${a.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const manifest = join(dir, 'deploy.yaml');
    writeFileSync(
      manifest,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bench\n  namespace: default\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: {app: bench}\n  template:\n    metadata:\n      labels: {app: bench}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n        command: [sleep, inf]\n`,
    );
    const idleRss = rss(child.pid!);
    const cpu0 = cpuMs(child.pid!);
    const t0 = performance.now();
    kubectl('apply', '-f', manifest);
    const ready = async (image: string) => {
      const d = await rest.request('/apis/apps/v1/namespaces/default/deployments/bench');
      const s = d.status ?? {};
      return d.spec.template.spec.containers[0].image === image && s.observedGeneration >= d.metadata.generation && s.updatedReplicas === replicas && s.availableReplicas === replicas && s.replicas === replicas;
    };
    await until('all replicas ready', 600_000, () => ready('busybox:1.36'));
    const createSecs = (performance.now() - t0) / 1000;
    const cpu1 = cpuMs(child.pid!);
    const t1 = performance.now();
    kubectl('set', 'image', 'deployment/bench', 'c=busybox:1.37');
    await until('rolling update complete', 900_000, () => ready('busybox:1.37'));
    const rollSecs = (performance.now() - t1) / 1000;
    const cpu2 = cpuMs(child.pid!);
    const busyRss = rss(child.pid!);
    console.log(`controllers: ${replicas} replicas on ${nodes} simulated nodes Ready in ${createSecs.toFixed(1)}s = ${Math.round(replicas / createSecs)} pods/s (target >= 500)`);
    console.log(`controllers: rolling update of ${replicas} replicas in ${rollSecs.toFixed(1)}s = ${Math.round(replicas / rollSecs)} pods/s`);
    // Server CPU per pod holds steady when other processes compete for the cores; wall-clock rates do not.
    console.log(`controllers: server CPU ${((cpu1 - cpu0) / replicas).toFixed(2)} ms per pod created, ${((cpu2 - cpu1) / replicas).toFixed(2)} ms per pod rolled (machine load ${loadavg()[0].toFixed(1)})`);
    console.log(`controllers: server RSS ${Math.round(idleRss)} MB before, ${Math.round(busyRss)} MB after`);
    console.log(JSON.stringify({ bench: 'controllers', replicas, nodes, createSeconds: createSecs, createPodsPerSec: replicas / createSecs, rolloutSeconds: rollSecs, rolloutPodsPerSec: replicas / rollSecs, rssMB: busyRss, cpuMsPerPodCreated: (cpu1 - cpu0) / replicas, cpuMsPerPodRolled: (cpu2 - cpu1) / replicas }));
    rest.close();
  } finally {
    child?.kill('SIGTERM');
    await new Promise((r) => (child && child.exitCode === null ? child.once('exit', r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
