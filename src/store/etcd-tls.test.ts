/**
 * The etcd backend over TLS with a client certificate (--datastore-cafile/certfile/keyfile):
 * an etcd member on https that requires client certificates signed by a test CA; KV
 * requests (HTTP/2) and watches (@grpc/grpc-js) both authenticate, and a client without
 * the certificate is turned away.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, issueClientCert } from '../apiserver/certs.js';
import { EtcdBackend } from './etcd.js';
import { EtcdCluster, etcdAvailable } from './etcd-process.js';
import type { WatchEvent } from './types.js';

const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

describe('etcd backend over TLS with a client certificate', { skip }, () => {
  let dir: string;
  let cluster: EtcdCluster;
  let tls: { caPem: string; certPem: string; keyPem: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-etcd-tls-'));
    const pki = await ensurePki({ dir: join(dir, 'pki'), sans: { dns: [], ips: [] } });
    const client = await issueClientCert(pki.ca, 'skiff-etcd-client', []);
    tls = { caPem: pki.ca.certPem, certPem: client.certPem, keyPem: client.keyPem };
    const f = (name: string, pem: string) => {
      writeFileSync(join(dir, name), pem, { mode: 0o600 });
      return join(dir, name);
    };
    cluster = await EtcdCluster.start(1, { certFile: f('server.crt', pki.serving.certPem), keyFile: f('server.key', pki.serving.keyPem), caFile: f('ca.crt', pki.ca.certPem), client: tls });
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads, writes and watches with the client certificate', async () => {
    assert.match(cluster.endpoints[0], /^https:/);
    const b = new EtcdBackend({ endpoints: cluster.endpoints, tls });
    try {
      const start = await b.currentRevision();
      const seen: WatchEvent[] = [];
      const ac = new AbortController();
      await b.watch('/tls/', { afterRevision: start, signal: ac.signal }, (evs) => seen.push(...evs));
      const kv = await b.create('/tls/a', 'one');
      assert.equal((await b.get('/tls/a')).kv?.value, 'one');
      const end = Date.now() + 10_000;
      while (!seen.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      assert.deepEqual(seen.map((e) => [e.type, e.kv.key, e.revision]), [['create', '/tls/a', kv.modRevision]]);
    } finally {
      await b.close();
    }
  });

  it('is refused without the client certificate', async () => {
    const b = new EtcdBackend({ endpoints: cluster.endpoints, tls: { caPem: tls.caPem }, requestTimeoutMs: 1000 });
    try {
      await assert.rejects(b.get('/tls/a'));
    } finally {
      await b.close();
    }
  });
});
