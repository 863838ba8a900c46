/**
 * Two `skiff server` processes on one etcd joined by a shared --token: one cluster CA, so
 * the kubeconfig either one writes works against both; the token is a bearer credential
 * on both, and so is a service-account token either issues; a server with a wrong token
 * refuses to start and says why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, etcdAvailable } from '../../src/store/etcd-process.js';
import { Cluster } from './cluster.js';

const root = new URL('../../..', import.meta.url).pathname;
const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

function bearerGet(url: string, path: string, ca: string, token: string): Promise<number> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('servers sharing bootstrap secrets through etcd', { skip }, () => {
  let etcd: EtcdCluster;
  let s1: Cluster;
  let s2: Cluster;
  const token = 'shared-secret-token';
  before(async () => {
    etcd = await EtcdCluster.start(1);
    const args = ['--datastore-endpoint', etcd.endpoints.join(','), '--token', token, '--disable-controllers'];
    // Started together: both race to create the secrets, and must agree.
    [s1, s2] = await Promise.all([Cluster.start(args), Cluster.start(args)]);
  });
  after(async () => {
    await s1?.destroy();
    await s2?.destroy();
    await etcd?.stop();
  });

  it('both serve with certificates from one CA; either kubeconfig works on both', async () => {
    assert.equal(s1.creds!.caPem, s2.creds!.caPem);
    assert.equal(readFileSync(join(s1.dataDir, 'tls', 'ca.key'), 'utf8'), readFileSync(join(s2.dataDir, 'tls', 'ca.key'), 'utf8'));
    assert.notEqual(readFileSync(join(s1.dataDir, 'tls', 'serving-kube-apiserver.crt'), 'utf8'), readFileSync(join(s2.dataDir, 'tls', 'serving-kube-apiserver.crt'), 'utf8'));
    await s1.k(['create', 'configmap', 'from-one', '--from-literal=k=v']);
    // Server 1's kubeconfig, pointed at server 2.
    const out = await s1.k(['--server', s2.url, 'get', 'configmap', 'from-one', '-o', 'jsonpath={.data.k}']);
    assert.equal(out, 'v');
    const out2 = await s2.k(['--server', s1.url, 'get', 'configmaps', '-o', 'name']);
    assert.match(out2, /configmap\/from-one/);
  });

  it('the token is a bearer credential on both servers', async () => {
    for (const s of [s1, s2]) {
      assert.equal(await bearerGet(s.url, '/api/v1/namespaces', s.creds!.caPem, token), 200);
      assert.equal(await bearerGet(s.url, '/api/v1/namespaces', s.creds!.caPem, 'nope'), 401);
    }
  });

  it('a service-account token one server issues authenticates on the other (one shared signing key)', async () => {
    assert.equal(readFileSync(join(s1.dataDir, 'tls', 'service.key'), 'utf8'), readFileSync(join(s2.dataDir, 'tls', 'service.key'), 'utf8'));
    await s1.k(['create', 'serviceaccount', 'robot']);
    const saToken = (await s1.k(['create', 'token', 'robot'])).trim();
    // RBAC: denied until bound to a role; a binding made through one server holds on both.
    for (const s of [s1, s2]) assert.equal(await bearerGet(s.url, '/api/v1/namespaces/default/pods', s.creds!.caPem, saToken), 403);
    await s1.k(['create', 'role', 'pod-lister', '--verb=list', '--resource=pods']);
    await s1.k(['create', 'rolebinding', 'robot-pod-lister', '--role=pod-lister', '--serviceaccount=default:robot']);
    for (const s of [s1, s2]) await s.until('the binding in effect', async () => (await bearerGet(s.url, '/api/v1/namespaces/default/pods', s.creds!.caPem, saToken)) === 200);
    await s2.k(['delete', 'serviceaccount', 'robot']);
    for (const s of [s1, s2]) assert.equal(await bearerGet(s.url, '/api/v1/namespaces/default/pods', s.creds!.caPem, saToken), 401);
  });

  it('a server with another token exits with a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
    try {
      const r = spawnSync(process.execPath, [join(root, 'bin/skiff.js'), 'server', '--data-dir', dir, '--https-listen-port', '0', '--datastore-endpoint', etcd.endpoints[0], '--token', 'wrong', '--disable-controllers'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /Error: .*cannot decrypt.*same --token/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
