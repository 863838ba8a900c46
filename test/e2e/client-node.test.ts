/** The API as a programmatic client sees it: @kubernetes/client-node list/create/patch/watch/informer. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { Cluster } from './cluster.js';

describe('@kubernetes/client-node', () => {
  let c: Cluster;
  let kc: k8s.KubeConfig;
  before(async () => {
    c = await Cluster.start(['--disable-controllers']);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
  });
  after(async () => {
    await c.destroy();
  });

  it('creates, reads, lists and merge-patches configmaps', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn1' }, data: { a: '1' } } });
    const read = await core.readNamespacedConfigMap({ name: 'cn1', namespace: 'default' });
    assert.equal(read.data?.a, '1');
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    assert.ok(list.items.some((x) => x.metadata?.name === 'cn1'));
    const patched = await core.patchNamespacedConfigMap({ name: 'cn1', namespace: 'default', body: { data: { b: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    assert.deepEqual(patched.data, { a: '1', b: '2' });
    await assert.rejects(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn1' } } }), (e: any) => e.code === 409);
  });

  it('creates a Deployment and reads back its defaults', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: { metadata: { name: 'dn1' }, spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } },
    });
    const d = await apps.readNamespacedDeployment({ name: 'dn1', namespace: 'default' });
    assert.equal(d.spec?.replicas, 1);
    assert.equal(d.spec?.strategy?.type, 'RollingUpdate');
    assert.equal(d.spec?.template.spec?.restartPolicy, 'Always');
    assert.equal(d.spec?.template.spec?.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  it('watches from a list resourceVersion and sees ADDED, MODIFIED, DELETED', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata?.resourceVersion }, (type, obj) => events.push(`${type} ${obj.metadata.name}`), () => {});
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' } } });
      await core.patchNamespacedConfigMap({ name: 'w1', namespace: 'default', body: { data: { x: 'y' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
      await c.until('three watch events', async () => events.length >= 3, 10_000);
      assert.deepEqual(events.slice(0, 3), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    } finally {
      req.abort();
    }
  });

  it('feeds an informer', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf1' } } });
      await c.until('add', async () => seen.includes('add inf1'), 10_000);
      await core.patchNamespacedConfigMap({ name: 'inf1', namespace: 'default', body: { data: { k: 'v' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await c.until('update', async () => seen.includes('update inf1'), 10_000);
      await core.deleteNamespacedConfigMap({ name: 'inf1', namespace: 'default' });
      await c.until('delete', async () => seen.includes('delete inf1'), 10_000);
    } finally {
      await informer.stop();
    }
  });
});
