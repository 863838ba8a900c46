/**
 * The HTTPS front over a stub ApiHandler: TLS with the generated PKI, client-certificate
 * and bearer-token authentication, anonymous access limited to health and version.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator } from './auth.js';
import { ensurePki, type ClusterPki } from './certs.js';
import type { ApiHandler, UserInfo } from './handler.js';
import { HttpsServer } from './server.js';
import { silentLogger } from '../util/log.js';

interface Reply {
  code: number;
  body: string;
}

function get(port: number, path: string, opts: { ca: string; cert?: string; key?: string; token?: string; host?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent: false, host: opts.host ?? '127.0.0.1', port, path, ca: opts.ca, cert: opts.cert, key: opts.key, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('https server', () => {
  let dir: string;
  let pki: ClusterPki;
  let server: HttpsServer;
  let port: number;
  const seen: UserInfo[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-https-'));
    pki = await ensurePki({ dir, sans: { dns: ['skiff.test'], ips: ['10.43.0.1'] } });
    const handler = {
      async handle(_req: unknown, res: import('node:http').ServerResponse, user: UserInfo) {
        seen.push(user);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ user }));
        return true;
      },
    } as unknown as ApiHandler;
    server = new HttpsServer({
      pki,
      handler,
      authenticator: createAuthenticator({ tokens: [{ token: 's3cret', user: { name: 'tok', groups: ['g'] } }] }),
      host: '127.0.0.1',
      port: 0,
      log: silentLogger,
      ready: () => true,
    });
    port = (await server.start()).port;
  });

  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the CA across restarts and covers the wanted SANs', async () => {
    const again = await ensurePki({ dir, sans: { dns: ['skiff.test'], ips: ['10.43.0.1'] } });
    assert.equal(again.ca.certPem, pki.ca.certPem);
    assert.equal(again.serving.certPem, pki.serving.certPem);
    const cert = new (await import('node:crypto')).X509Certificate(pki.serving.certPem);
    assert.match(cert.subjectAltName ?? '', /DNS:kubernetes\.default\.svc\.cluster\.local/);
    assert.match(cert.subjectAltName ?? '', /IP Address:10\.43\.0\.1/);
    assert.ok(cert.verify(new (await import('node:crypto')).X509Certificate(pki.ca.certPem).publicKey));
  });

  it('re-issues the serving certificate when a new SAN is wanted, keeping the CA', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'skiff-https-'));
    try {
      const a = await ensurePki({ dir: d2, sans: { dns: [], ips: [] } });
      const b = await ensurePki({ dir: d2, sans: { dns: ['new.example'], ips: [] } });
      assert.equal(a.ca.certPem, b.ca.certPem);
      assert.notEqual(a.serving.certPem, b.serving.certPem);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
  });

  it('lets anonymous clients read health and version only', async () => {
    assert.deepEqual(await get(port, '/healthz', { ca: pki.ca.certPem }), { code: 200, body: 'ok' });
    assert.equal((await get(port, '/readyz', { ca: pki.ca.certPem })).code, 200);
    const v = await get(port, '/version', { ca: pki.ca.certPem });
    assert.equal(v.code, 200);
    assert.equal(JSON.parse(v.body).major, '1');
    const r = await get(port, '/api/v1/namespaces', { ca: pki.ca.certPem });
    assert.equal(r.code, 401);
    const status = JSON.parse(r.body);
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, 'Unauthorized');
  });

  it('authenticates the admin client certificate as system:admin in system:masters', async () => {
    const r = await get(port, '/api', { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem });
    assert.equal(r.code, 200);
    const user = JSON.parse(r.body).user as UserInfo;
    assert.equal(user.name, 'system:admin');
    assert.ok(user.groups.includes('system:masters'));
  });

  it('authenticates bearer tokens and rejects unknown ones', async () => {
    const ok = await get(port, '/api', { ca: pki.ca.certPem, token: 's3cret' });
    assert.equal(JSON.parse(ok.body).user.name, 'tok');
    assert.equal((await get(port, '/api', { ca: pki.ca.certPem, token: 'wrong' })).code, 401);
  });

  it('also serves on extra addresses at the same port, skipping one it cannot bind', async () => {
    // 127.0.0.2 is loopback on Linux; 192.0.2.1 (TEST-NET-1) is no address of this machine.
    const d3 = mkdtempSync(join(tmpdir(), 'skiff-https-'));
    const pki3 = await ensurePki({ dir: d3, sans: { dns: [], ips: ['127.0.0.2'] } });
    const s = new HttpsServer({ pki: pki3, handler: {} as ApiHandler, authenticator: createAuthenticator({ tokens: [] }), host: '127.0.0.1', port: 0, alsoOn: ['127.0.0.2', '192.0.2.1'], log: silentLogger, ready: () => true });
    try {
      const p = (await s.start()).port;
      assert.deepEqual(s.hosts, ['127.0.0.1', '127.0.0.2']);
      // The serving certificate covers the extra address (the client checks it against the CA).
      const v = await get(p, '/version', { ca: pki3.ca.certPem, host: '127.0.0.2' });
      assert.equal(v.code, 200);
      await s.stop();
      await assert.rejects(get(p, '/version', { ca: pki3.ca.certPem, host: '127.0.0.2' }), /ECONNREFUSED/);
    } finally {
      await s.stop();
      rmSync(d3, { recursive: true, force: true });
    }
  });
});
