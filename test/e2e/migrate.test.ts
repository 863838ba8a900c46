/**
 * From one server on SQLite to etcd: a server started on etcd over a data dir holding a
 * SQLite store says how to copy it; `skiff migrate` copies it (conflicts with what that
 * server created are refused, then overwritten with --force); afterwards the server on
 * etcd serves the same objects (same uids, new resourceVersions) to the old kubeconfig.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdCluster, etcdAvailable } from '../../src/store/etcd-process.js';
import { Cluster } from './cluster.js';

const root = new URL('../../..', import.meta.url).pathname;
const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

function migrate(dataDir: string, endpoint: string, ...extra: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin/skiff.js'), 'migrate', '--data-dir', dataDir, '--datastore-endpoint', endpoint, ...extra], { encoding: 'utf8', timeout: 60_000 });
}

describe('skiff migrate: SQLite into etcd', { skip }, () => {
  let etcd: EtcdCluster;
  let c: Cluster;
  let before1: any;
  let kubeconfig: string;
  before(async () => {
    etcd = await EtcdCluster.start(1);
    c = await Cluster.start(['--disable-controllers']);
    await c.k(['create', 'namespace', 'moved']);
    await c.k(['create', 'configmap', 'cm', '-n', 'moved', '--from-literal=a=1']);
    await c.k(['create', 'secret', 'generic', 's', '-n', 'moved', '--from-literal=p=q']);
    before1 = await c.getJson('/api/v1/namespaces/moved/configmaps/cm');
    kubeconfig = readFileSync(c.kubeconfig, 'utf8');
    assert.equal(await c.stop(), 0);
  });
  after(async () => {
    await c?.destroy();
    await etcd?.stop();
  });

  it('a server on etcd notices the SQLite store and names the command', async () => {
    const onEtcd = await Cluster.start(['--disable-controllers', '--datastore-endpoint', etcd.endpoints[0]], c.dataDir);
    assert.equal(await onEtcd.stop(), 0);
    assert.match(onEtcd.logs(), /holds a SQLite store that this etcd datastore does not use.*skiff migrate --data-dir \S+ --datastore-endpoint http:\/\/127\.0\.0\.1:\d+/);
  });

  it('copies, refusing to overwrite what differs unless --force', () => {
    const r = migrate(c.dataDir, etcd.endpoints[0]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /already holds \d+ of these keys with other values .*--force/);
    const f = migrate(c.dataDir, etcd.endpoints[0], '--force');
    assert.equal(f.status, 0, f.stdout + f.stderr);
    assert.match(f.stdout, /copied \d+ keys, \d+ already there, \d+ overwritten/);
    const again = migrate(c.dataDir, etcd.endpoints[0]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /copied 0 keys/);
  });

  it('the server on etcd serves the same objects to the old kubeconfig', async () => {
    const onEtcd = await Cluster.start(['--disable-controllers', '--datastore-endpoint', etcd.endpoints[0]], c.dataDir);
    c = onEtcd;
    assert.match(c.logs(), /copied into this datastore; it is no longer used/);
    // Same CA and admin certificate: the kubeconfig written before still works.
    assert.equal(readFileSync(c.kubeconfig, 'utf8').replace(/server: .*/, ''), kubeconfig.replace(/server: .*/, ''));
    const cm = await c.getJson('/api/v1/namespaces/moved/configmaps/cm');
    assert.equal(cm.metadata.uid, before1.metadata.uid);
    assert.deepEqual(cm.data, { a: '1' });
    assert.match(await c.k(['get', 'secrets', '-n', 'moved', '-o', 'name']), /secret\/s/);
    await c.k(['create', 'configmap', 'after', '-n', 'moved']);
    assert.match(await c.k(['get', 'configmaps', '-n', 'moved', '-o', 'name']), /configmap\/after/);
  });
});
