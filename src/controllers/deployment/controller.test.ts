import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Clientset, InformerFactory } from '../../client/clientset.js';
import { RestClient } from '../../client/rest.js';
import { silentLogger } from '../../util/log.js';
import { DeploymentController } from './controller.js';

/** Informers are not started: events are fed straight into them, as a watch would. */
function setup() {
  const cs = new Clientset(new RestClient({ server: 'https://127.0.0.1:1', caPem: '' }));
  const informers = new InformerFactory(cs, silentLogger);
  const c = new DeploymentController({ cs, informers, log: silentLogger });
  const feed = (plural: 'deployments' | 'replicasets' | 'pods', type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: any) => (informers.informer(plural) as any).apply(type, obj);
  const drain = async () => {
    const keys: string[] = [];
    while (c.queue.length) {
      const k = (await c.queue.get())!;
      keys.push(k);
      c.queue.done(k);
    }
    return keys.sort();
  };
  return { c, feed, drain };
}

const dep = (name: string, labels: Record<string, string>, strategy = 'RollingUpdate') => ({
  metadata: { name, namespace: 'd', uid: `uid-${name}`, resourceVersion: '1' },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels } }, strategy: { type: strategy } },
});
const rs = (name: string, labels: Record<string, string>, owner?: string, rv = '1') => ({
  metadata: { name, namespace: 'd', uid: `uid-${name}`, resourceVersion: rv, labels, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: `uid-${owner}`, controller: true }] : undefined },
  spec: { replicas: 1 },
});
const pod = (name: string, owner: string) => ({
  metadata: { name, namespace: 'd', uid: `uid-${name}`, resourceVersion: '1', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] },
});

describe('DeploymentController event wiring', () => {
  it('a ReplicaSet event wakes its controlling Deployment only', async () => {
    const { feed, drain } = setup();
    feed('deployments', 'ADDED', dep('web', { app: 'web' }));
    feed('deployments', 'ADDED', dep('api', { app: 'web' }));
    await drain();
    feed('replicasets', 'ADDED', rs('web-abc', { app: 'web' }, 'web'));
    assert.deepEqual(await drain(), ['d/web']);
  });
  it('an orphan ReplicaSet wakes every Deployment selecting it; a released one wakes its former owner', async () => {
    const { feed, drain } = setup();
    feed('deployments', 'ADDED', dep('web', { app: 'web' }));
    feed('deployments', 'ADDED', dep('api', { app: 'api' }));
    feed('deployments', 'ADDED', dep('all', {}));
    await drain();
    feed('replicasets', 'ADDED', rs('orphan', { app: 'web' }));
    assert.deepEqual(await drain(), ['d/web']);
    feed('replicasets', 'ADDED', rs('x', { app: 'api' }, 'api'));
    await drain();
    feed('replicasets', 'MODIFIED', rs('x', { app: 'web' }, undefined, '2'));
    assert.deepEqual(await drain(), ['d/api', 'd/web']);
  });
  it('a pod deletion wakes a Recreate Deployment once none of its pods is left', async () => {
    const { feed, drain } = setup();
    feed('deployments', 'ADDED', dep('web', { app: 'web' }, 'Recreate'));
    feed('replicasets', 'ADDED', rs('web-1', { app: 'web' }, 'web'));
    feed('pods', 'ADDED', pod('p1', 'web-1'));
    feed('pods', 'ADDED', pod('p2', 'web-1'));
    await drain();
    feed('pods', 'DELETED', pod('p1', 'web-1'));
    assert.deepEqual(await drain(), []);
    feed('pods', 'DELETED', pod('p2', 'web-1'));
    assert.deepEqual(await drain(), ['d/web']);
  });
  it('pod deletions do not wake RollingUpdate Deployments', async () => {
    const { feed, drain } = setup();
    feed('deployments', 'ADDED', dep('web', { app: 'web' }));
    feed('replicasets', 'ADDED', rs('web-1', { app: 'web' }, 'web'));
    feed('pods', 'ADDED', pod('p1', 'web-1'));
    await drain();
    feed('pods', 'DELETED', pod('p1', 'web-1'));
    assert.deepEqual(await drain(), []);
  });
});
