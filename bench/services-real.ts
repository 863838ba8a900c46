/**
 * bench/services-real: Services on a real node. `skiff server` with its local node
 * (containerd + CNI) and in-process service proxy, inside a network namespace this
 * benchmark creates (it re-runs itself under `unshare --net`). Measures:
 *  - create→reachable: a Service POSTed over a running pod until its ClusterIP answers
 *    HTTP from the node (allocation, EndpointSlice controller, proxy sync, nftables), for
 *    SERVICES Services one after another;
 *  - from a client pod: REQUESTS sequential busybox wget through the ClusterIP and straight
 *    to the pod IP (each a new process and connection), and REQUESTS nslookups through
 *    the cluster DNS at 10.43.0.10 (DNAT-ed to the node address), timed by busybox `time`.
 * Bounded in count and time; everything is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../test/e2e/cluster.js';
import { cleanupNode, containerLogLines, criSkipReason, podFinished, setupNodeNetwork } from '../test/cri-node.js';
import { httpGet } from '../test/netns.js';
import { latency, ms } from './lib/stats.js';

const SERVICES = Math.min(50, Number(process.env.SERVICES ?? 20));
const REQUESTS = Math.min(500, Number(process.env.REQUESTS ?? 200));
const NODE = 'bench-node';
const NODE_IP = '192.168.79.1';
const IMAGE = 'skiff.local/busybox:latest';

if (process.env.SKIFF_BENCH_NETNS !== '1') {
  const skip = criSkipReason() || (spawnSync('sh', ['-c', 'command -v nft']).status !== 0 && 'needs nft (nftables)');
  if (skip) {
    console.log(`bench/services-real skipped: ${skip}`);
    process.exit(0);
  }
  const r = spawnSync('unshare', ['--net', process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, SKIFF_BENCH_NETNS: '1' }, timeout: 10 * 60_000 });
  process.exit(r.status ?? 1);
}

const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-svc-'));
let c: Cluster | undefined;
try {
  setupNodeNetwork(NODE_IP);
  const resolv = join(dataDir, 'no-upstreams.conf');
  writeFileSync(resolv, '#\n');
  c = await Cluster.start(['--real-node', '--node-name', NODE, '--node-ip', NODE_IP, '--resolv-conf', resolv], dataDir);
  const cl = c;
  await cl.until('the service proxy', async () => cl.logs().includes('service proxy programmed'), 60_000);
  await cl.k(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'] }] } }),
  });
  const web = await cl.until('the web pod Ready', async () => {
    const p = await cl.getJson('/api/v1/namespaces/default/pods/web');
    return p.status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True' ? p : undefined;
  }, 120_000);

  const reach: number[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const t0 = performance.now();
    const r = await cl.raw('POST', '/api/v1/namespaces/default/services', { body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}` }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } }) });
    if (r.code !== 201) throw new Error(`create service: ${r.code} ${r.body}`);
    const ip = r.json.spec.clusterIP;
    // Refused at once until programmed (no endpoints → reject), so a tight poll costs little.
    for (;;) {
      if (performance.now() - t0 > 10_000) throw new Error(`service s${i} not reachable in 10 s`);
      if ((await httpGet(`http://${ip}/`, 2000).catch(() => '')) === 'web') break;
      await new Promise((res) => setTimeout(res, 2));
    }
    reach.push(performance.now() - t0);
  }
  const vip = (await cl.getJson('/api/v1/namespaces/default/services/s0')).spec.clusterIP;

  // Each loop counts its successes, so a fast failure cannot pass for a fast answer.
  const loop = (cmd: string) => `time sh -c 'n=0; for i in $(seq 1 ${REQUESTS}); do ${cmd} >/dev/null 2>&1 && n=$((n+1)); done; echo ok=$n'`;
  const script = [`echo vip; ${loop(`wget -q -O- http://${vip}/`)}`, `echo direct; ${loop(`wget -q -O- http://${web.status.podIP}:8080/`)}`, `echo dns; ${loop('nslookup s0.default.svc.cluster.local')}`].join('; ');
  await cl.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', `${script} 2>&1`] }] } }) });
  const out = containerLogLines(dataDir, await podFinished(cl, 'client', 300_000));
  const perRequest = (label: string) => {
    const i = out.indexOf(label);
    const m = out.slice(i).map((l) => /^real\s+(\d+)m\s*([\d.]+)s/.exec(l)).find(Boolean);
    const ok = out.slice(i).find((x) => x.startsWith('ok='));
    if (ok !== `ok=${REQUESTS}`) throw new Error(`${label}: ${ok ?? 'no result'} of ${REQUESTS} succeeded:\n${out.join('\n')}`);
    return m ? ((Number(m[1]) * 60 + Number(m[2])) * 1000) / REQUESTS : NaN;
  };
  const l = latency(reach);
  console.log(`bench/services-real (real node, in-process proxy and DNS, ${SERVICES} Services, ${REQUESTS} requests per loop)`);
  console.log(`  Service create → ClusterIP answers from the node: p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`);
  console.log(`  from a pod, per busybox wget (new process + connection): via ClusterIP ${perRequest('vip').toFixed(2)} ms, straight to the pod ${perRequest('direct').toFixed(2)} ms`);
  console.log(`  from a pod, per nslookup through 10.43.0.10 (DNAT to the node's DNS): ${perRequest('dns').toFixed(2)} ms`);
} finally {
  await c?.kill();
  await cleanupNode(dataDir, NODE);
}
