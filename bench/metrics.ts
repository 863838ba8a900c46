/**
 * bench/metrics — what the Resource Metrics API costs the API server: one scrape round of
 * N hollow nodes (each its own kubelet-style listener at 127.1.x.y, P running pods of two
 * containers on the simulated runtime) over TLS with the kubelet client certificate, and
 * the metrics.k8s.io storage queries behind `kubectl top pod -A` and `kubectl top node`.
 * A round must finish well within metrics-server's 15 s resolution.
 *
 *   node dist/bench/metrics.js [--nodes 200] [--pods 20] [--rounds 5] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRegistry } from '../src/api/index.js';
import { issueClientCert, issueServingCert, loadOrCreateSecrets } from '../src/apiserver/certs.js';
import { MetricsScraper } from '../src/apiserver/metrics/index.js';
import { ObjectStore } from '../src/apiserver/object-store.js';
import { StreamingServer } from '../src/agent/streaming/index.js';
import { SimulatedRuntime } from '../src/agent/runtime/simulated.js';
import { simulatedHostIP } from '../src/agent/simulated-nodes.js';
import { MemoryBackend } from '../src/store/memory.js';
import { silentLogger } from '../src/util/log.js';
import { latency, ms } from './lib/stats.js';

const arg = (f: string, d: number, max: number) => {
  const i = process.argv.indexOf(f);
  const v = i < 0 ? d : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${f} must be an integer from 1 to ${max}`);
  return v;
};
const nodes = arg('--nodes', 200, 1000);
const podsPerNode = arg('--pods', 20, 110);
const rounds = arg('--rounds', 5, 100);
const RESOLUTION_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
const secrets = await loadOrCreateSecrets(join(dir, 'tls'));
const serving = await issueServingCert(secrets.ca, 'CN=system:node:bench, O=system:nodes', { dns: ['localhost'], ips: ['127.0.0.1'] });
const client = await issueClientCert(secrets.ca, 'kube-apiserver-kubelet-client', ['system:masters']);
const streaming = new StreamingServer({ tls: { ...serving, caPem: secrets.ca.certPem }, log: silentLogger });
const registry = buildRegistry();
const store = new ObjectStore(new MemoryBackend());
const nodeDef = registry.lookup('', 'v1', 'nodes')!;
const runtimes: SimulatedRuntime[] = [];

for (let n = 0; n < nodes; n++) {
  const rt = new SimulatedRuntime({ podCidr: `10.${42 + Math.floor(n / 250)}.${n % 250}.0/24` });
  runtimes.push(rt);
  const pods: any[] = [];
  for (let p = 0; p < podsPerNode; p++) {
    const pod = { metadata: { namespace: `ns${p % 10}`, name: `n${n}-p${p}`, uid: `uid-${n}-${p}` }, spec: { nodeName: `node-${n}` } };
    pods.push(pod);
    const sb = await rt.runPodSandbox({ podUid: pod.metadata.uid, namespace: pod.metadata.namespace, name: pod.metadata.name, hostNetwork: false });
    for (const c of ['app', 'sidecar']) {
      const id = await rt.createContainer(sb.id, { name: c, image: 'busybox', command: ['sleep', 'inf'], requests: { milliCpu: 100, memoryBytes: 64 << 20 }, podAnnotations: {} });
      await rt.startContainer(id);
    }
  }
  const byUid = new Map(pods.map((p) => [p.metadata.uid, p]));
  const host = simulatedHostIP(n);
  const port = await streaming.listen({ nodeName: `node-${n}`, runtime: () => rt, podByUid: (uid) => byUid.get(uid), pod: () => undefined }, host, 0);
  await store.create(nodeDef, { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${n}` }, status: { addresses: [{ type: 'InternalIP', address: host }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } });
}

const scraper = new MetricsScraper({ registry, store, kubelet: { caPem: secrets.ca.certPem, certPem: client.certPem, keyPem: client.keyPem }, resolutionMs: RESOLUTION_MS, log: silentLogger });
const roundMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  await scraper.scrapeAll();
  roundMs.push(performance.now() - t);
}
const podKeys = Array.from({ length: nodes * podsPerNode }, (_, i) => [`ns${(i % podsPerNode) % 10}`, `n${Math.floor(i / podsPerNode)}-p${i % podsPerNode}`] as const);
let t = performance.now();
const measured = podKeys.filter(([ns, name]) => scraper.storage.podUsage(ns, name)).length;
const allPodsMs = performance.now() - t;
t = performance.now();
const measuredNodes = Array.from({ length: nodes }, (_, n) => scraper.storage.nodeUsage(`node-${n}`)).filter(Boolean).length;
const allNodesMs = performance.now() - t;
if (measured !== podKeys.length || measuredNodes !== nodes) throw new Error(`metrics for ${measured}/${podKeys.length} pods and ${measuredNodes}/${nodes} nodes`);

await scraper.stop();
await streaming.close();
for (const rt of runtimes) await rt.close();
rmSync(dir, { recursive: true, force: true });

const result = { nodes, podsPerNode, containers: nodes * podsPerNode * 2, scrapeRoundMs: latency(roundMs), allPodsQueryMs: allPodsMs, allNodesQueryMs: allNodesMs };
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`metrics.k8s.io: ${nodes} hollow nodes × ${podsPerNode} pods × 2 containers (${result.containers} containers), ${rounds} scrape rounds:`);
  console.log(`  scrape round (every node, TLS)   p50 ${ms(result.scrapeRoundMs.p50)}  max ${ms(result.scrapeRoundMs.max)}  (resolution ${RESOLUTION_MS / 1000} s)`);
  console.log(`  usage of every pod (top pod -A)  ${ms(allPodsMs)}`);
  console.log(`  usage of every node (top node)   ${ms(allNodesMs)}`);
}
