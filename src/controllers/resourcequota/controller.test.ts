import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../util/log.js';
import { startTestApiServer } from '../common/test-api-server.js';
import { RESOURCE_QUOTAS, ResourceQuotaController } from './controller.js';

/** The controller's sync over a real in-process API server (no workers running). */
async function fixture() {
  const api = await startTestApiServer();
  const { cs } = api;
  const informers = api.informers;
  const rq = new ResourceQuotaController({ cs, informers, log: silentLogger });
  informers.start(api.signal);
  const settle = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return {
    cs,
    informers,
    rq,
    settle,
    close: api.close,
  };
}

const pod = (name: string, cpu: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'team' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] } });

describe('resource quota controller (sync)', () => {
  it('mirrors hard into status and recomputes used from the stored objects, without finished pods', async () => {
    const f = await fixture();
    try {
      await f.cs.resource('namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
      await f.cs.resource('pods').create(pod('a', '250m'));
      const done = await f.cs.resource('pods').create(pod('b', '500m'));
      await f.cs.resource('pods').updateStatus({ ...done, status: { phase: 'Succeeded' } });
      await f.cs.resource(RESOURCE_QUOTAS).create({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'team' }, spec: { hard: { pods: '5', 'requests.cpu': '2000m', 'count/pods': '9', secrets: '3' } } });
      await f.informers.waitForSync();
      const podCache = f.informers.informer('pods').cache;
      await f.settle(() => !!f.informers.informer(RESOURCE_QUOTAS).cache.get('team/q') && podCache.get('team/b')?.status?.phase === 'Succeeded');
      await f.rq.syncResourceQuota('team/q');
      const q = await f.cs.resource(RESOURCE_QUOTAS).get('team', 'q');
      assert.deepEqual(q.spec.hard, { 'count/pods': '9', pods: '5', 'requests.cpu': '2', secrets: '3' });
      assert.deepEqual(q.status, { hard: { 'count/pods': '9', pods: '5', 'requests.cpu': '2', secrets: '3' }, used: { 'count/pods': '2', pods: '1', 'requests.cpu': '250m', secrets: '0' } });
    } finally {
      await f.close();
    }
  });
});
