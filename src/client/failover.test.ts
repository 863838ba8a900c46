/**
 * Failover between API servers: real HTTPS servers on loopback that go away and come
 * back; the client moves on a failed connection, re-sends what is safe to re-send, and
 * stays where it is while the server answers (even with errors).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, type ClusterPki } from '../apiserver/certs.js';
import { serverList } from '../cli/client-config.js';
import { isConnectionFailure, mayResend, ServerList } from './failover.js';
import { RestClient, StatusError } from './rest.js';

interface Stub {
  name: string;
  port: number;
  server?: Server;
  hits: string[];
  /** How to answer: normally, with a 500, or by cutting the connection. */
  mode: 'ok' | 'error' | 'cut';
}

function listen(pki: ClusterPki, stub: Stub): Promise<void> {
  const server = createServer({ key: pki.serving.keyPem, cert: pki.serving.certPem }, (req, res) => {
    stub.hits.push(`${req.method} ${req.url}`);
    if (stub.mode === 'cut') return void req.socket.destroy();
    const code = stub.mode === 'error' ? 500 : 200;
    const body = code === 200 ? { server: stub.name } : { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'InternalError', code, message: 'boom' };
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  stub.server = server;
  return new Promise((resolve) =>
    server.listen(stub.port, '127.0.0.1', () => {
      stub.port = (server.address() as AddressInfo).port;
      resolve();
    }),
  );
}

function close(stub: Stub): Promise<void> {
  const s = stub.server!;
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

describe('API server failover', () => {
  let dir: string;
  let pki: ClusterPki;
  const a: Stub = { name: 'a', port: 0, hits: [], mode: 'ok' };
  const b: Stub = { name: 'b', port: 0, hits: [], mode: 'ok' };
  const url = (s: Stub) => `https://127.0.0.1:${s.port}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-failover-'));
    pki = await ensurePki({ dir, sans: { dns: [], ips: [] } });
    await listen(pki, a);
    await listen(pki, b);
  });
  after(async () => {
    for (const s of [a, b]) if (s.server?.listening) await close(s);
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves to the next server when one goes away, and round again when that one does', async () => {
    const switches: string[] = [];
    const c = new RestClient({ server: url(a), servers: [url(a), url(b)], caPem: pki.ca.certPem }, { onFailover: (from, to) => switches.push(`${from}->${to}`) });
    try {
      assert.deepEqual(await c.request('/x'), { server: 'a' });
      await close(a);
      assert.deepEqual(await c.request('/x'), { server: 'b' }, 'a refused connection: re-sent to b');
      assert.equal(c.currentServer(), new URL(url(b)).origin);
      assert.deepEqual(await c.request('/x'), { server: 'b' }, 'stays on b');
      await listen(pki, a);
      assert.deepEqual(await c.request('/x'), { server: 'b' }, 'no move back while b answers');
      await close(b);
      assert.deepEqual(await c.request('/x'), { server: 'a' });
      assert.deepEqual(switches, [`${new URL(url(a)).origin}->${new URL(url(b)).origin}`, `${new URL(url(b)).origin}->${new URL(url(a)).origin}`]);
      await listen(pki, b);
    } finally {
      c.close();
    }
  });

  it('an HTTP error is an answer: no failover', async () => {
    const c = new RestClient({ server: url(a), servers: [url(a), url(b)], caPem: pki.ca.certPem });
    a.mode = 'error';
    try {
      await assert.rejects(c.request('/x'), (e: unknown) => e instanceof StatusError && e.code === 500);
      assert.equal(c.currentServer(), new URL(url(a)).origin);
    } finally {
      a.mode = 'ok';
      c.close();
    }
  });

  it('a connection cut mid-request re-sends a PUT, but not a POST', async () => {
    const c = new RestClient({ server: url(a), servers: [url(a), url(b)], caPem: pki.ca.certPem });
    a.mode = 'cut';
    b.hits.length = 0;
    try {
      assert.deepEqual(await c.request('/put', { method: 'PUT', body: {} }), { server: 'b' });
      assert.deepEqual(b.hits, ['PUT /put']);
      const c2 = new RestClient({ server: url(a), servers: [url(a), url(b)], caPem: pki.ca.certPem });
      await assert.rejects(c2.request('/post', { method: 'POST', body: {} }), (e: unknown) => isConnectionFailure(e));
      assert.ok(!b.hits.includes('POST /post'), 'the POST was not sent twice');
      assert.equal(c2.currentServer(), new URL(url(b)).origin, 'but the next request goes to b');
      c2.close();
    } finally {
      a.mode = 'ok';
      c.close();
    }
  });

  it('every server down: the connection error, after one try of each', async () => {
    await close(a);
    await close(b);
    const c = new RestClient({ server: url(a), servers: [url(a), url(b)], caPem: pki.ca.certPem });
    try {
      await assert.rejects(c.request('/x'), (e: any) => e.code === 'ECONNREFUSED');
    } finally {
      c.close();
      await listen(pki, a);
      await listen(pki, b);
    }
  });

  it('classifies failures', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    assert.ok(mayResend(e('ECONNREFUSED'), 'POST'));
    assert.ok(mayResend(e('ECONNRESET'), 'GET'));
    assert.ok(!mayResend(e('ECONNRESET'), 'POST'));
    assert.ok(!isConnectionFailure(new StatusError(503, 'ServiceUnavailable', 'x')));
    const list = new ServerList(['https://a:1', 'https://b:2']);
    const first = list.pick();
    list.failed(first, e('ECONNREFUSED'));
    list.failed(first, e('ECONNREFUSED')); // a second report of the same failure does not skip b
    assert.equal(list.pick().host, 'b:2');
  });

  it('--server takes a list, comma-separated or repeated', () => {
    assert.deepEqual(serverList('https://a:1, https://b:2'), ['https://a:1', 'https://b:2']);
    assert.deepEqual(serverList(['https://a:1', 'https://b:2,https://c:3']), ['https://a:1', 'https://b:2', 'https://c:3']);
    assert.deepEqual(serverList(undefined), []);
  });
});
