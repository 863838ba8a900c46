import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueClientCert, issueServingCert, loadOrCreateSecrets, type KeyCert } from '../../apiserver/certs.js';
import { silentLogger } from '../../util/log.js';
import { SimulatedRuntime } from '../runtime/simulated.js';
import type { ContainerStatus } from '../runtime/types.js';
import { StreamingServer } from './server.js';

function get(port: number, path: string, o: { ca: string; client?: KeyCert; token?: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, ca: o.ca, cert: o.client?.certPem, key: o.client?.keyPem, headers: o.token ? { authorization: `Bearer ${o.token}` } : {}, checkServerIdentity: () => undefined }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('agent streaming server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-srv-'));
  let ca: KeyCert;
  let apiClient: KeyCert;
  let stranger: KeyCert;
  let server: StreamingServer;
  let port: number;
  const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24', logDir: join(dir, 'logs') });
  const pod = { metadata: { namespace: 'ns', name: 'p', uid: 'uid-1' }, status: { containerStatuses: [{ name: 'c', state: { running: {} }, lastState: {} }] } };
  const busy = { metadata: { namespace: 'ns', name: 'busy', uid: 'uid-3' } };
  const waiting = { metadata: { namespace: 'ns', name: 'w', uid: 'uid-2' }, status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} }] } };

  before(async () => {
    const secrets = await loadOrCreateSecrets(join(dir, 'tls'));
    ca = secrets.ca;
    const serving = await issueServingCert(ca, 'CN=system:node:n1, O=system:nodes', { dns: ['localhost'], ips: ['127.0.0.1'] });
    apiClient = await issueClientCert(ca, 'kube-apiserver-kubelet-client', []);
    stranger = await issueClientCert(ca, 'jane', ['developers']);
    server = new StreamingServer({ tls: { ...serving, caPem: ca.certPem }, token: 'cluster-token', log: silentLogger });
    port = await server.listen({ nodeName: 'n1', runtime: () => rt, podByUid: (uid) => [pod, busy].find((p) => p.metadata.uid === uid), pod: (ns, name) => (ns !== 'ns' ? undefined : name === 'p' ? pod : name === 'w' ? waiting : undefined) }, '127.0.0.1', 0);
    const exited = new Promise<ContainerStatus>((r) => rt.onContainerEvent(r));
    const sb = await rt.runPodSandbox({ podUid: 'uid-1', namespace: 'ns', name: 'p', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'c', image: 'busybox', command: ['sh', '-c', 'echo one; echo two'], podAnnotations: {} });
    await rt.startContainer(id);
    await exited;
  });
  after(async () => {
    await server.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses callers without a cluster credential', async () => {
    assert.equal((await get(port, '/containerLogs/ns/p/c', { ca: ca.certPem })).code, 401);
    assert.equal((await get(port, '/containerLogs/ns/p/c', { ca: ca.certPem, client: stranger })).code, 401);
    assert.equal((await get(port, '/containerLogs/ns/p/c', { ca: ca.certPem, token: 'wrong' })).code, 401);
  });

  it("serves a container's log to the API server's client certificate and to the cluster token", async () => {
    assert.deepEqual(await get(port, '/containerLogs/ns/p/c', { ca: ca.certPem, client: apiClient }), { code: 200, body: 'one\ntwo\n' });
    assert.deepEqual(await get(port, '/containerLogs/ns/p/c?tailLines=1', { ca: ca.certPem, token: 'cluster-token' }), { code: 200, body: 'two\n' });
  });

  it('answers unknown pods, previous without a restart, and plain requests to upgrade endpoints', async () => {
    const missing = await get(port, '/containerLogs/ns/nope/c', { ca: ca.certPem, client: apiClient });
    assert.equal(missing.code, 404);
    const prev = await get(port, '/containerLogs/ns/p/c?previous=true', { ca: ca.certPem, client: apiClient });
    assert.equal(prev.code, 400);
    assert.equal(JSON.parse(prev.body).message, 'previous terminated container "c" in pod "p" not found');
    const w = await get(port, '/containerLogs/ns/w/c', { ca: ca.certPem, client: apiClient });
    assert.equal(w.code, 400);
    assert.equal(JSON.parse(w.body).message, 'container "c" in pod "w" is waiting to start: ContainerCreating');
    const exec = await get(port, '/exec/ns/p/c?command=true', { ca: ca.certPem, client: apiClient });
    assert.equal(exec.code, 400);
  });

  it('serves /metrics/resource: running containers (deterministic on the simulated runtime) and the node as their sum', async () => {
    const sb = await rt.runPodSandbox({ podUid: 'uid-3', namespace: 'ns', name: 'busy', hostNetwork: false });
    const a = await rt.createContainer(sb.id, { name: 'a', image: 'busybox', command: ['sleep', 'inf'], requests: { milliCpu: 200, memoryBytes: 128 * 1024 * 1024 }, podAnnotations: {} });
    const b = await rt.createContainer(sb.id, { name: 'b', image: 'busybox', command: ['sleep', 'inf'], podAnnotations: { 'skiff.dev/simulate-cpu-usage': '300m', 'skiff.dev/simulate-memory-usage': '10Mi' } });
    await rt.startContainer(a);
    await rt.startContainer(b);
    assert.equal((await get(port, '/metrics/resource', { ca: ca.certPem })).code, 401);
    const r = await get(port, '/metrics/resource', { ca: ca.certPem, client: apiClient });
    assert.equal(r.code, 200);
    const line = (prefix: string) => r.body.split('\n').find((l) => l.startsWith(prefix))?.split(' ');
    assert.equal(line('container_memory_working_set_bytes{container="a",namespace="ns",pod="busy"}')?.[1], String(64 * 1024 * 1024));
    assert.equal(line('container_memory_working_set_bytes{container="b",namespace="ns",pod="busy"}')?.[1], String(10 * 1024 * 1024));
    assert.equal(line('node_memory_working_set_bytes')?.[1], String(74 * 1024 * 1024));
    // The exited container of pod p has no sample.
    assert.equal(line('container_cpu_usage_seconds_total{container="c"'), undefined);
    const cpuA = line('container_cpu_usage_seconds_total{container="a",namespace="ns",pod="busy"}')!;
    const cpuB = line('container_cpu_usage_seconds_total{container="b",namespace="ns",pod="busy"}')!;
    const startA = Number(line('container_start_time_seconds{container="a"')![1]) * 1000;
    // counter = rate × running time: 100m (half the 200m request) and 300m.
    assert.ok(Math.abs(Number(cpuA[1]) - (0.1 * (Number(cpuA[2]) - startA)) / 1000) < 0.002, cpuA.join(' '));
    assert.ok(Number(cpuB[1]) >= 0);
    assert.match(r.body, /^scrape_error 0$/m);
  });
});
