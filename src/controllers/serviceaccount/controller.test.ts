import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../util/log.js';
import { startTestApiServer } from '../common/test-api-server.js';
import { RootCaCertPublisher, ROOT_CA_CONFIGMAP } from '../rootcacert/controller.js';
import { ServiceAccountController } from './controller.js';

/** The controllers' sync functions over a real in-process API server (no workers running). */
async function fixture() {
  const api = await startTestApiServer();
  const { cs } = api;
  const informers = api.informers;
  const ctx = { cs, informers, log: silentLogger };
  const sa = new ServiceAccountController(ctx);
  const ca = new RootCaCertPublisher(ctx, 'CA PEM\n');
  informers.start(api.signal);
  const settle = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return {
    cs,
    informers,
    sa,
    ca,
    settle,
    close: api.close,
  };
}

describe('ServiceAccount controller and root-CA publisher (sync)', () => {
  it('creates the default ServiceAccount and kube-root-ca.crt, and leaves terminating namespaces alone', async () => {
    const f = await fixture();
    try {
      await f.cs.resource('namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
      await f.informers.waitForSync();
      await f.settle(() => !!f.informers.informer('namespaces').cache.get('team'));
      await f.sa.syncNamespace('team');
      await f.ca.syncNamespace('team');
      assert.equal((await f.cs.resource('serviceaccounts').get('team', 'default')).metadata.name, 'default');
      const cm = await f.cs.resource('configmaps').get('team', ROOT_CA_CONFIGMAP);
      assert.deepEqual(cm.data, { 'ca.crt': 'CA PEM\n' });

      // Edited: the next sync puts the data back.
      await f.cs.resource('configmaps').update({ ...cm, data: { 'ca.crt': 'other' } });
      await f.settle(() => f.informers.informer('configmaps').cache.get(`team/${ROOT_CA_CONFIGMAP}`)?.data?.['ca.crt'] === 'other');
      await f.ca.syncNamespace('team');
      assert.deepEqual((await f.cs.resource('configmaps').get('team', ROOT_CA_CONFIGMAP)).data, { 'ca.crt': 'CA PEM\n' });

      // A namespace being deleted gets nothing new.
      await f.cs.resource('namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
      await f.cs.resource('namespaces').delete(undefined, 'gone');
      await f.settle(() => !!f.informers.informer('namespaces').cache.get('gone')?.metadata.deletionTimestamp);
      await f.sa.syncNamespace('gone');
      await f.ca.syncNamespace('gone');
      assert.equal((await f.cs.resource('serviceaccounts').list('gone')).items.length, 0);
      assert.equal((await f.cs.resource('configmaps').list('gone')).items.length, 0);
    } finally {
      await f.close();
    }
  });
});
