/**
 * bench/proxy: how fast the service proxy programs nftables — 1,000 Services × 10
 * endpoints from scratch (render + one `nft -f` transaction), then single endpoint
 * changes applied as diffs with that many rules present. Runs itself inside a private
 * network namespace (`unshare --net`), so the host's rules are never touched.
 * Targets (issue 6): full sync ≤ 2 s, one change ≤ 100 ms.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runNft } from '../src/proxy/nft.js';
import { renderDiff, renderFull } from '../src/proxy/render.js';
import { StateCache } from '../src/proxy/state-cache.js';
import { latency, ms } from './lib/stats.js';

const SERVICES = Number(process.env.SERVICES ?? 1000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const CHANGES = Number(process.env.CHANGES ?? 20);

if (process.env.SKIFF_BENCH_NETNS !== '1') {
  if (process.getuid?.() !== 0) {
    console.error('bench/proxy needs root (nftables in a private network namespace)');
    process.exit(2);
  }
  const r = spawnSync('unshare', ['--net', process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, SKIFF_BENCH_NETNS: '1' } });
  process.exit(r.status ?? 1);
}

function service(i: number): any {
  return { metadata: { namespace: 'bench', name: `svc-${i}`, uid: `u${i}`, resourceVersion: '1' }, spec: { type: 'NodePort', clusterIP: `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30000 + i }] } };
}
function slice(i: number, shift = 0): any {
  const endpoints = Array.from({ length: ENDPOINTS }, (_, j) => ({ addresses: [`10.42.${(i * ENDPOINTS + j + shift) >> 8 & 255}.${(i * ENDPOINTS + j + shift) & 255}`], conditions: { ready: true }, nodeName: 'n1' }));
  return { metadata: { resourceVersion: String(2 + shift) }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints };
}

const rss0 = process.memoryUsage().rss;
const services = Array.from({ length: SERVICES }, (_, i) => service(i));
const slices = Array.from({ length: SERVICES }, (_, i) => slice(i));
// The proxy's own incremental state builder: only a changed Service is recomputed.
const cache = new StateCache({ clusterCidr: '10.42.0.0/16', nodeName: 'n1' });
const build = () => cache.build(services.map((svc, i) => ({ svc, slices: [slices[i]] }))).state;

const t0 = performance.now();
let state = build();
const program = renderFull(state);
const t1 = performance.now();
await runNft(program);
const t2 = performance.now();
console.log(`bench/proxy: ${SERVICES} services × ${ENDPOINTS} endpoints (NodePort, so two paths each); program ${(program.length / 1024 / 1024).toFixed(1)} MiB`);
console.log(`full sync from scratch: ${ms(t2 - t0)} (render ${ms(t1 - t0)}, nft ${ms(t2 - t1)})   target ≤ 2000 ms`);

const changes: number[] = [];
for (let k = 0; k < CHANGES; k++) {
  const i = Math.floor(Math.random() * SERVICES);
  const c0 = performance.now();
  slices[i] = slice(i, 5000 + k);
  const next = build();
  const diff = renderDiff(state, next);
  await runNft(diff);
  state = next;
  changes.push(performance.now() - c0);
}
const l = latency(changes);
console.log(`one endpoint-set change (${CHANGES} samples, rebuild + diff + nft): p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)}   target ≤ 100 ms`);
console.log(`RSS: ${((process.memoryUsage().rss - rss0) / 1024 / 1024).toFixed(0)} MB over baseline, ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB total`);
