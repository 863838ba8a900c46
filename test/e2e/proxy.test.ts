/**
 * The service proxy with real packets, inside a private network namespace (the "node"):
 * a bridge, three "pods" (network namespaces with busybox httpd answering their name),
 * `skiff server` and `skiff proxy` programming nftables. Round robin over the VIP,
 * ClientIP affinity, endpoint changes taking effect, refusal without endpoints,
 * NodePort, hairpin, traffic policy Local, and a proxy killed and restarted without
 * dropping traffic.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from './cluster.js';
import { fakePod, IN_NETNS, networkSkipReason, runInNetns, sh, type FakePod } from '../netns.js';

const root = new URL('../../..', import.meta.url).pathname;
const BRIDGE = 'skbr0';
const NODE_IP = '10.42.0.1';

/** One HTTP GET on a fresh connection (no keep-alive: each request is a new connection to balance). */
function get(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** How a TCP connect ends: 'connected', or the error code, and how long it took. */
function tryConnect(host: string, port: number): Promise<{ result: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 3000 });
    s.on('connect', () => {
      s.destroy();
      resolve({ result: 'connected', ms: Date.now() - t0 });
    });
    s.on('timeout', () => {
      s.destroy();
      resolve({ result: 'timeout', ms: Date.now() - t0 });
    });
    s.on('error', (e: any) => resolve({ result: e.code, ms: Date.now() - t0 }));
  });
}

/** One HTTP GET from inside a pod's network namespace (busybox nc; the body is the last line). */
function podGet(pod: FakePod, host: string, port: number): string {
  return pod.exec(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${host} ${port} | tail -n 1`).trim();
}

const counts = (xs: string[]) => xs.reduce((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {} as Record<string, number>);

function slice(name: string, svc: string, eps: { ip: string; node?: string; ready?: boolean }[], port = 8080): string {
  return JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, nodeName: e.node ?? 'node1' })),
  });
}

if (!IN_NETNS) {
  const skip = networkSkipReason(['nft', 'busybox']);
  describe('service proxy (nftables, in a private network namespace)', () => {
    it('passes every scenario inside `unshare --net`', { skip }, async () => {
      const r = await runInNetns(fileURLToPath(import.meta.url), 240_000);
      if (r.code !== 0) assert.fail(`the proxy suite failed inside its network namespace:\n${r.output}`);
      const summary = r.output.match(/ℹ tests \d+[\s\S]*?ℹ fail \d+/)?.[0] ?? '';
      assert.match(summary, /ℹ fail 0/, r.output);
    });
  });
} else {
  describe('service proxy', () => {
    let c: Cluster;
    let proxy: ChildProcess | undefined;
    let proxyLog = '';
    const pods: FakePod[] = [];
    const web = mkdtempSync(join(tmpdir(), 'skiff-web-'));
    let vip = '';

    const startProxy = () => {
      proxy = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'proxy', '--kubeconfig', c.kubeconfig, '--node-name', 'node1', '--log-level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
      proxy.stdout!.on('data', (d) => (proxyLog += d));
      proxy.stderr!.on('data', (d) => (proxyLog += d));
    };
    const programmed = () => c.until('the proxy to program nftables', async () => proxyLog.includes('service proxy programmed'), 20_000);

    before(async () => {
      sh(`ip link set lo up && ip link add ${BRIDGE} type bridge && ip addr add ${NODE_IP}/24 dev ${BRIDGE} && ip link set ${BRIDGE} up`);
      for (let i = 1; i <= 3; i++) pods.push(fakePod(`pod${i}`, `10.42.0.1${i}`, BRIDGE, NODE_IP, web));
      c = await Cluster.start(['--disable-agent']);
      await c.k(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports: [{name: http, port: 80, nodePort: 30080}]\n' });
      await c.k(['apply', '-f', '-'], { input: slice('web-1', 'web', pods.map((p) => ({ ip: p.ip }))) });
      vip = (await c.getJson('/api/v1/namespaces/default/services/web')).spec.clusterIP;
      startProxy();
      await programmed();
    });
    after(async () => {
      proxy?.kill('SIGKILL');
      for (const p of pods) p.kill();
      await c?.destroy();
      rmSync(web, { recursive: true, force: true });
    });

    it('spreads 30 sequential requests to the VIP evenly over 3 backends', async () => {
      const seen: string[] = [];
      for (let i = 0; i < 30; i++) seen.push(await get(`http://${vip}/`));
      assert.deepEqual(counts(seen), { pod1: 10, pod2: 10, pod3: 10 });
      // From a pod too (routed through the node, not the node's own output path).
      const fromPod = Array.from({ length: 6 }, () => podGet(pods[0], vip, 80));
      assert.deepEqual(Object.keys(counts(fromPod)).sort(), ['pod1', 'pod2', 'pod3'], 'hairpin: pod1 also reaches itself through the VIP');
    });

    it('reaches the NodePort at the node address', async () => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) seen.push(await get(`http://${NODE_IP}:30080/`));
      assert.deepEqual(counts(seen), { pod1: 2, pod2: 2, pod3: 2 });
      assert.match(podGet(pods[1], NODE_IP, 30080), /^pod\d$/);
    });

    it('pins a client to one backend with sessionAffinity ClientIP', async () => {
      await c.k(['patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
      await new Promise((r) => setTimeout(r, 300));
      const seen: string[] = [];
      for (let i = 0; i < 30; i++) seen.push(await get(`http://${vip}/`));
      assert.equal(Object.keys(counts(seen)).length, 1, `one backend for all 30 (saw ${JSON.stringify(counts(seen))})`);
      await c.k(['patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"None"}}']);
      await new Promise((r) => setTimeout(r, 300));
    });

    it('stops sending to an endpoint that is not ready, and resumes when it is', async () => {
      const t0 = Date.now();
      await c.k(['apply', '-f', '-'], { input: slice('web-1', 'web', [{ ip: pods[0].ip }, { ip: pods[1].ip, ready: false }, { ip: pods[2].ip }]) });
      await c.until('pod2 out of rotation', async () => {
        const s = await Promise.all([get(`http://${vip}/`), get(`http://${vip}/`), get(`http://${vip}/`)]);
        return !s.includes('pod2');
      }, 5000);
      const tookMs = Date.now() - t0;
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) seen.push(await get(`http://${vip}/`));
      assert.deepEqual(counts(seen), { pod1: 10, pod3: 10 });
      assert.ok(tookMs < 5000, `took effect in ${tookMs} ms`);
      await c.k(['apply', '-f', '-'], { input: slice('web-1', 'web', pods.map((p) => ({ ip: p.ip }))) });
      await c.until('pod2 back', async () => {
        const s = await Promise.all([1, 2, 3, 4, 5, 6].map(() => get(`http://${vip}/`)));
        return s.includes('pod2');
      }, 5000);
    });

    it('refuses connections at once to a service without endpoints, VIP and NodePort', async () => {
      await c.k(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: empty}\nspec:\n  type: NodePort\n  ports: [{name: http, port: 80, nodePort: 30081}]\n' });
      const ip = (await c.getJson('/api/v1/namespaces/default/services/empty')).spec.clusterIP;
      await new Promise((r) => setTimeout(r, 300));
      const v = await tryConnect(ip, 80);
      assert.equal(v.result, 'ECONNREFUSED');
      assert.ok(v.ms < 1000, `refused in ${v.ms} ms`);
      const n = await tryConnect(NODE_IP, 30081);
      assert.equal(n.result, 'ECONNREFUSED');
      // A VIP nobody owns is answered here too (routed locally), never sent away.
      assert.equal((await tryConnect('10.43.99.99', 80)).result, 'ECONNREFUSED');
    });

    it('honours internalTrafficPolicy Local: only this node endpoints', async () => {
      await c.k(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: local}\nspec:\n  internalTrafficPolicy: Local\n  ports: [{name: http, port: 80}]\n' });
      await c.k(['apply', '-f', '-'], { input: slice('local-1', 'local', [{ ip: pods[0].ip, node: 'node2' }, { ip: pods[2].ip, node: 'node1' }]) });
      const ip = (await c.getJson('/api/v1/namespaces/default/services/local')).spec.clusterIP;
      await c.until('the local service programmed', async () => (await tryConnect(ip, 80)).result === 'connected', 5000);
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) seen.push(await get(`http://${ip}/`));
      assert.deepEqual(counts(seen), { pod3: 6 });
    });

    it('keeps traffic flowing while the proxy is killed, and resyncs when it restarts', async () => {
      proxy!.kill('SIGKILL');
      await new Promise((r) => proxy!.once('exit', r));
      // Rules stay in the kernel: the VIP still answers.
      assert.match(await get(`http://${vip}/`), /^pod\d$/);
      // A change made while the proxy is down is picked up by the restarted proxy's full sync.
      await c.k(['apply', '-f', '-'], { input: slice('web-1', 'web', [{ ip: pods[0].ip }]) });
      proxyLog = '';
      startProxy();
      await programmed();
      const seen: string[] = [];
      for (let i = 0; i < 5; i++) seen.push(await get(`http://${vip}/`));
      assert.deepEqual(counts(seen), { pod1: 5 });
      const table = sh('nft list table ip skiff');
      assert.match(table, /dnat to 10\.42\.0\.11:8080/, 'the restarted proxy programmed the one remaining endpoint');
    });
  });
}
