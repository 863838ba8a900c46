import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../../apiserver/certs.js';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Server as GrpcServer, ServerCredentials, status as Code } from '@grpc/grpc-js';
import { SimulatedRuntime } from '../runtime/simulated.js';
import { runHook } from '../lifecycle/hooks.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from './grpc.js';
import { runProbe } from './handler.js';
import type { HandlerTarget } from './types.js';

const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24', podIp: '127.0.0.1' });
const container = { name: 'app', ports: [{ name: 'http', containerPort: 0 }] };
const target = (o: Partial<HandlerTarget> = {}): HandlerTarget => ({ runtime: rt, containerId: 'none', container, podIP: '127.0.0.1', network: true, ...o });

describe('httpGet probe against a real listener', () => {
  let server: Server;
  let port = 0;
  const seen: Record<string, string | undefined>[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url, ua: req.headers['user-agent'], x: req.headers['x-custom'] as string, host: req.headers.host });
      if (req.url === '/redirect') return res.writeHead(302, { location: '/healthz' }).end();
      res.writeHead(req.url === '/healthz' ? 200 : 500).end('body');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    container.ports[0].containerPort = port;
  });
  after(() => server.close());

  it('succeeds on 200 (named port, headers, redirects on the same host)', async () => {
    const r = await runProbe({ httpGet: { path: '/redirect', port: 'http', httpHeaders: [{ name: 'X-Custom', value: 'v' }] }, timeoutSeconds: 2 }, target());
    assert.deepEqual(r, { result: 'success', output: '' });
    assert.equal(seen.at(-1)!.path, '/healthz');
    assert.equal(seen.at(-1)!.x, 'v');
    assert.match(seen.at(-1)!.ua!, /^kube-probe\/1\.\d+$/);
  });
  it("fails on 500 with upstream's message", async () => {
    const r = await runProbe({ httpGet: { path: '/broken', port } }, target());
    assert.deepEqual(r, { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  });
  it('fails with Go-like text when nothing listens', async () => {
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await runProbe({ httpGet: { path: '/x', port: p } }, target());
    assert.equal(r.result, 'failure');
    assert.equal(r.output, `Get "http://127.0.0.1:${p}/x": dial tcp 127.0.0.1:${p}: connect: connection refused`);
  });
  it('does not keep a streaming response open', async () => {
    let closed!: () => void;
    const gone = new Promise<void>((r) => (closed = r));
    const srv = createServer((req, res) => {
      res.writeHead(200);
      res.write('x'.repeat(1024));
      req.socket.on('close', closed);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const p = (srv.address() as AddressInfo).port;
    assert.equal((await runProbe({ httpGet: { path: '/stream', port: p } }, target())).result, 'success');
    await gone;
    await new Promise((r) => srv.close(r));
  });
  it('an unknown port name is an error, not a failure', async () => {
    const r = await runProbe({ httpGet: { port: 'nope' } }, target());
    assert.equal(r.result, 'unknown');
  });
  it('simulated nodes send nothing', async () => {
    const before = seen.length;
    const r = await runProbe({ httpGet: { path: '/broken', port } }, target({ network: false }));
    assert.equal(r.result, 'success');
    assert.equal(seen.length, before);
  });
  it('httpGet hooks fail only on transport errors', async () => {
    assert.equal((await runHook({ httpGet: { path: '/broken', port } }, target(), { metadata: { name: 'p', namespace: 'd', uid: 'u' } }, 2)).ok, true);
    const bad = await runHook({ httpGet: { path: '/x', port: 1 } }, target(), { metadata: { name: 'p', namespace: 'd', uid: 'u' } }, 2);
    assert.equal(bad.ok, false);
    assert.match(bad.message, /^HTTP lifecycle hook \(\/x\) for Container "app" in Pod "p_d\(u\)" failed - error: Get "http:\/\/127\.0\.0\.1:1\/x": dial tcp/);
  });
});

describe('httpGet probe over HTTPS', () => {
  it('does not verify the certificate, as the kubelet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-tls-'));
    try {
      const pki = await ensurePki({ dir, sans: { dns: [], ips: [] } });
      const srv = createHttpsServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => res.writeHead(req.url === '/ok' ? 204 : 503).end());
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as AddressInfo).port;
      assert.deepEqual(await runProbe({ httpGet: { scheme: 'HTTPS', path: '/ok', port } }, target()), { result: 'success', output: '' });
      assert.deepEqual(await runProbe({ httpGet: { scheme: 'HTTPS', path: '/no', port } }, target()), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
      await new Promise((r) => srv.close(r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tcpSocket probe', () => {
  it('succeeds when a connection opens, fails when refused', async () => {
    const srv = createTcpServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    assert.equal((await runProbe({ tcpSocket: { port } }, target())).result, 'success');
    await new Promise((r) => srv.close(r));
    const r = await runProbe({ tcpSocket: { port } }, target());
    assert.deepEqual(r, { result: 'failure', output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
  });
});

describe('grpc probe (grpc.health.v1)', () => {
  it('encodes and decodes the health messages', () => {
    assert.deepEqual([...encodeHealthCheckRequest('svc')], [0x0a, 3, 0x73, 0x76, 0x63]);
    assert.deepEqual([...encodeHealthCheckRequest('')], [0x0a, 0]);
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 2])), 2);
    assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0);
  });
  it('is success for SERVING, a failure otherwise', async () => {
    const server = new GrpcServer();
    // (an object: grpc-js treats a falsy request as no message at all)
    const decodeService = (b: Buffer) => ({ service: b.length > 2 ? b.subarray(2).toString() : '' });
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (s: { service: string }) => encodeHealthCheckRequest(s.service),
          requestDeserialize: decodeService,
          responseSerialize: (st: number) => Buffer.from(st ? [0x08, st] : []),
          responseDeserialize: decodeHealthCheckResponse,
        },
      },
      {
        Check: (call: any, cb: any) => {
          if (call.request.service === 'missing') return cb({ code: Code.NOT_FOUND, details: 'unknown service' });
          cb(null, call.request.service === 'down' ? 2 : 1);
        },
      },
    );
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    try {
      assert.deepEqual(await runProbe({ grpc: { port }, timeoutSeconds: 2 }, target()), { result: 'success', output: '' });
      assert.deepEqual(await runProbe({ grpc: { port, service: 'down' }, timeoutSeconds: 2 }, target()), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
      assert.deepEqual(await runProbe({ grpc: { port, service: 'missing' }, timeoutSeconds: 2 }, target()), {
        result: 'failure',
        output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
      });
    } finally {
      server.forceShutdown();
    }
    const r = await runProbe({ grpc: { port }, timeoutSeconds: 1 }, target());
    assert.deepEqual(r, { result: 'failure', output: `timeout: failed to connect service "127.0.0.1:${port}" within 1s` });
  });
});

describe('exec probe and hooks through the simulated runtime', () => {
  it('reports output and exit codes as upstream', async () => {
    const sb = await rt.runPodSandbox({ podUid: 'u', namespace: 'd', name: 'p', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'app', image: 'busybox', command: ['sleep', 'inf'], podAnnotations: {} });
    await rt.startContainer(id);
    const miss = await runProbe({ exec: { command: ['cat', '/tmp/healthy'] } }, target({ containerId: id }));
    assert.deepEqual(miss, { result: 'failure', output: "cat: can't open '/tmp/healthy': No such file or directory\n", exitCode: 1 } as any);
    assert.equal((await runProbe({ exec: { command: ['sh', '-c', 'touch /tmp/healthy'] } }, target({ containerId: id }))).result, 'success');
    assert.equal((await runProbe({ exec: { command: ['cat', '/tmp/healthy'] } }, target({ containerId: id }))).result, 'success');
    const slow = await runProbe({ exec: { command: ['sleep', '3'] }, timeoutSeconds: 0.1 }, target({ containerId: id }));
    assert.deepEqual(slow, { result: 'failure', output: 'command "sleep 3" timed out' });
    const hook = await runHook({ exec: { command: ['sh', '-c', 'exit 1'] } }, target({ containerId: id }), { metadata: { name: 'p', namespace: 'd', uid: 'u' } }, 0);
    assert.deepEqual(hook, { ok: false, message: `Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod "p_d(u)" failed - error: command 'sh -c exit 1' exited with 1: , message: ""` });
    await rt.close();
  });
});
