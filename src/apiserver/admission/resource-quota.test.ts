import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry } from '../../api/index.js';
import { MemoryBackend } from '../../store/memory.js';
import { ObjectStore } from '../object-store.js';
import { admitResourceQuota } from './resource-quota.js';
import type { ListOptions, ListResult } from '../../store/types.js';

const reg = buildRegistry();
const rqDef = reg.lookup('', 'v1', 'resourcequotas')!;
const now = new Date('2026-01-01T00:00:00Z');

/** A backend whose lists answer a little later, so concurrent admissions both read before either writes. */
class SlowListBackend extends MemoryBackend {
  override async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await super.list(prefix, opts);
    await new Promise((res) => setTimeout(res, 5));
    return r;
  }
}

async function storeWithQuota(hard: Record<string, string>, used: Record<string, string>, backend = new MemoryBackend()): Promise<ObjectStore> {
  const store = new ObjectStore(backend);
  await store.create(rqDef, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec: { hard }, status: { hard, used } });
  return store;
}

const pod = (name: string, cpu?: string, phase?: string) => ({
  metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', image: 'busybox', ...(cpu ? { resources: { requests: { cpu } } } : {}) }] },
  ...(phase ? { status: { phase } } : {}),
});

const forbidden = (message: string) => (e: any) => {
  assert.equal(e.code, 403);
  assert.equal(e.message, message);
  return true;
};

describe('ResourceQuota admission', () => {
  it('reserves the new usage in status.used', async () => {
    const store = await storeWithQuota({ pods: '2', 'requests.cpu': '1' }, { pods: '0', 'requests.cpu': '0' });
    await admitResourceQuota(reg, store, '', 'pods', pod('a', '300m'), { dryRun: false, now });
    await admitResourceQuota(reg, store, '', 'pods', pod('b', '200m'), { dryRun: false, now });
    assert.deepEqual((await store.get(rqDef, 'ns', 'q')).status.used, { pods: '2', 'requests.cpu': '500m' });
  });

  it('refuses with exceeded quota, naming only the exceeded resources', async () => {
    const store = await storeWithQuota({ pods: '2', 'requests.cpu': '1' }, { pods: '2', 'requests.cpu': '600m' });
    await assert.rejects(admitResourceQuota(reg, store, '', 'pods', pod('x', '100m'), { dryRun: false, now }), forbidden('pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'));
  });

  it('refuses a pod without the requests a quota constrains', async () => {
    const store = await storeWithQuota({ 'requests.cpu': '1', 'limits.memory': '1Gi' }, { 'requests.cpu': '0', 'limits.memory': '0' });
    await assert.rejects(admitResourceQuota(reg, store, '', 'pods', pod('x'), { dryRun: false, now }), forbidden('pods "x" is forbidden: failed quota: q: must specify limits.memory for: c; requests.cpu for: c'));
  });

  it('refuses while the quota usage is unknown, and ignores a quota with no status yet', async () => {
    const store = await storeWithQuota({ pods: '2' }, {});
    await assert.rejects(admitResourceQuota(reg, store, '', 'pods', pod('x'), { dryRun: false, now }), forbidden('pods "x" is forbidden: status unknown for quota: q, resources: pods'));
    const fresh = new ObjectStore(new MemoryBackend());
    await fresh.create(rqDef, { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '0' } }, status: {} });
    await admitResourceQuota(reg, fresh, '', 'pods', pod('x'), { dryRun: false, now });
  });

  it('counts count/<resource>.<group> for any kind, and does not reserve on dry run', async () => {
    const store = await storeWithQuota({ 'count/deployments.apps': '1' }, { 'count/deployments.apps': '0' });
    const d = { metadata: { name: 'd', namespace: 'ns' }, spec: {} };
    await admitResourceQuota(reg, store, 'apps', 'deployments', d, { dryRun: true, now });
    assert.equal((await store.get(rqDef, 'ns', 'q')).status.used['count/deployments.apps'], '0');
    await admitResourceQuota(reg, store, 'apps', 'deployments', d, { dryRun: false, now });
    await assert.rejects(admitResourceQuota(reg, store, 'apps', 'deployments', { ...d, metadata: { name: 'e', namespace: 'ns' } }, { dryRun: false, now }), forbidden('deployments.apps "e" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1'));
  });

  it('charges an update of a service only for what grows (a ClusterIP service turning NodePort)', async () => {
    const store = await storeWithQuota({ 'services.nodeports': '1', services: '5' }, { 'services.nodeports': '0', services: '1' });
    const old = { metadata: { name: 's', namespace: 'ns' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }, { port: 443 }] } };
    const nodePort = { ...old, spec: { ...old.spec, type: 'NodePort' } };
    await assert.rejects(admitResourceQuota(reg, store, '', 'services', nodePort, { dryRun: false, now, old }), forbidden('services "s" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1'));
    // An update that changes nothing counted is not judged; a pod update never is.
    await admitResourceQuota(reg, store, '', 'services', { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } }, { dryRun: false, now, old });
    await admitResourceQuota(reg, store, '', 'pods', pod('x', '5'), { dryRun: false, now, old: pod('x', '5') });
    assert.deepEqual((await store.get(rqDef, 'ns', 'q')).status.used, { 'services.nodeports': '0', services: '1' });
  });

  it('lets only one of two concurrent creates take the last slot (conflict on the quota, then judged again)', async () => {
    const store = await storeWithQuota({ pods: '1' }, { pods: '0' }, new SlowListBackend());
    const results = await Promise.allSettled([admitResourceQuota(reg, store, '', 'pods', pod('a'), { dryRun: false, now }), admitResourceQuota(reg, store, '', 'pods', pod('b'), { dryRun: false, now })]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match(refused.reason.message, /exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1$/);
    assert.equal((await store.get(rqDef, 'ns', 'q')).status.used.pods, '1');
  });
});
