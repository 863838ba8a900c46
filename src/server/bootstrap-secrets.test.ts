/**
 * Shared bootstrap secrets: sealing with the token, refusing a wrong token, one winner
 * when two servers start at once, and servers that agree on a CA while each keeps its
 * own serving certificate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, loadOrCreateSecrets } from '../apiserver/certs.js';
import { MemoryBackend } from '../store/memory.js';
import { silentLogger } from '../util/log.js';
import { BOOTSTRAP_KEY, BootstrapTokenError, ensureSharedSecrets, openSecrets, sealSecrets, type BootstrapSecrets } from './bootstrap-secrets.js';

const fake = (tag: string): BootstrapSecrets => ({ ca: { certPem: `ca-${tag}`, keyPem: `cakey-${tag}` }, admin: { certPem: `adm-${tag}`, keyPem: `admkey-${tag}` }, serviceAccountKey: `sa-${tag}` });

describe('bootstrap secrets', () => {
  it('seal and open round-trip; the sealed form shows no secret', async () => {
    const sealed = await sealSecrets(fake('x'), 'tok');
    assert.ok(!sealed.includes('cakey-x'));
    assert.equal(JSON.parse(sealed).cipher, 'aes-256-gcm');
    assert.deepEqual(await openSecrets(sealed, 'tok'), fake('x'));
  });

  it('a wrong token is a BootstrapTokenError that says what to do', async () => {
    const sealed = await sealSecrets(fake('x'), 'right');
    await assert.rejects(openSecrets(sealed, 'wrong'), (err: Error) => err instanceof BootstrapTokenError && /same --token/.test(err.message));
  });

  it('tampered ciphertext does not open', async () => {
    const s = JSON.parse(await sealSecrets(fake('x'), 'tok'));
    const data = Buffer.from(s.data, 'base64');
    data[0] ^= 1;
    s.data = data.toString('base64');
    await assert.rejects(openSecrets(JSON.stringify(s), 'tok'), BootstrapTokenError);
  });

  it('two servers starting at once agree on one set', async () => {
    const backend = new MemoryBackend();
    const [a, b] = await Promise.all([
      ensureSharedSecrets({ backend, token: 't', generate: async () => fake('a'), log: silentLogger }),
      ensureSharedSecrets({ backend, token: 't', generate: async () => fake('b'), log: silentLogger }),
    ]);
    assert.deepEqual(a.secrets, b.secrets);
    assert.equal([a.created, b.created].filter(Boolean).length, 1);
    const later = await ensureSharedSecrets({ backend, token: 't', generate: async () => fake('c'), log: silentLogger });
    assert.deepEqual(later.secrets, a.secrets);
    assert.equal(later.created, false);
    await assert.rejects(ensureSharedSecrets({ backend, token: 'other', generate: async () => fake('d'), log: silentLogger }), BootstrapTokenError);
    assert.ok((await backend.get(BOOTSTRAP_KEY)).kv);
  });

  it('servers share the CA and admin certificate, and each issues its own serving certificate', async () => {
    const d1 = mkdtempSync(join(tmpdir(), 'skiff-boot-'));
    const d2 = mkdtempSync(join(tmpdir(), 'skiff-boot-'));
    try {
      // Server 2 once ran on its own: its local CA must give way to the cluster's.
      const stale = await ensurePki({ dir: d2, sans: { dns: [], ips: [] } });
      const backend = new MemoryBackend();
      const s1 = (await ensureSharedSecrets({ backend, token: 't', generate: () => loadOrCreateSecrets(d1), log: silentLogger })).secrets;
      const p1 = await ensurePki({ dir: d1, sans: { dns: [], ips: ['127.0.0.2'] }, shared: s1 });
      const s2 = (await ensureSharedSecrets({ backend, token: 't', generate: () => loadOrCreateSecrets(d2), log: silentLogger })).secrets;
      const p2 = await ensurePki({ dir: d2, sans: { dns: [], ips: ['127.0.0.3'] }, shared: s2 });
      assert.equal(p1.ca.certPem, p2.ca.certPem);
      assert.equal(p1.admin.certPem, p2.admin.certPem);
      assert.equal(p1.serviceAccountKey, p2.serviceAccountKey);
      assert.notEqual(p2.ca.certPem, stale.ca.certPem);
      assert.equal(readFileSync(join(d2, 'ca.crt'), 'utf8'), p1.ca.certPem);
      assert.notEqual(p1.serving.certPem, p2.serving.certPem);
      const ca = new X509Certificate(p1.ca.certPem);
      for (const [p, ip] of [[p1, '127.0.0.2'], [p2, '127.0.0.3']] as const) {
        const cert = new X509Certificate(p.serving.certPem);
        assert.ok(cert.verify(ca.publicKey), 'serving certificate issued by the shared CA');
        for (const want of ['127.0.0.1', ip]) assert.ok(cert.checkIP(want), `SAN ${want}`);
        assert.equal(cert.checkHost('localhost'), 'localhost');
      }
    } finally {
      rmSync(d1, { recursive: true, force: true });
      rmSync(d2, { recursive: true, force: true });
    }
  });
});
