/**
 * ServiceAccounts end to end with the real kubectl on simulated nodes: every namespace
 * gets a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap (both put back
 * when deleted).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

describe('service accounts', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.until('a ready node', async () => (await c.getJson('/api/v1/nodes')).items.some((n: any) => n.spec?.podCIDR));
  });
  after(async () => {
    await c.destroy();
  });

  it('gives a new namespace its default ServiceAccount, and re-creates it when deleted', async () => {
    await c.k(['create', 'namespace', 'sa-one']);
    const out = await c.until('default SA', async () => {
      const r = await c.kubectl(['get', 'sa', '-n', 'sa-one']);
      return r.code === 0 && /^default\s+0\s+/m.test(r.stdout) && r.stdout;
    });
    assert.match(out, /^NAME\s+SECRETS\s+AGE$/m);
    const uid = (await c.getJson('/api/v1/namespaces/sa-one/serviceaccounts/default')).metadata.uid;
    await c.k(['delete', 'sa', 'default', '-n', 'sa-one']);
    await c.until('default SA back with a new uid', async () => {
      const r = await c.raw('GET', '/api/v1/namespaces/sa-one/serviceaccounts/default');
      return r.code === 200 && r.json.metadata.uid !== uid;
    });
  });

  it('publishes kube-root-ca.crt with the cluster CA in every namespace, and keeps it', async () => {
    const ca = (await c.raw('GET', '/cacerts', { anonymous: true })).body;
    assert.match(ca, /BEGIN CERTIFICATE/);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await c.until(`kube-root-ca.crt in ${ns}`, async () => {
        const r = await c.raw('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
        return r.code === 200 && r.json.data['ca.crt'] === ca;
      });
    }
    await c.k(['create', 'namespace', 'ca-one']);
    await c.until('kube-root-ca.crt in ca-one', async () => (await c.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', 'ca-one'])).code === 0);
    const cm = await c.getJson('/api/v1/namespaces/ca-one/configmaps/kube-root-ca.crt');
    assert.match(cm.metadata.annotations['kubernetes.io/description'], /^Contains a CA bundle that can be used to verify the kube-apiserver/);
    // Edited: put back. Deleted: re-created.
    await c.k(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'ca-one', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}']);
    await c.until('ca.crt restored', async () => (await c.getJson('/api/v1/namespaces/ca-one/configmaps/kube-root-ca.crt')).data['ca.crt'] === ca);
    await c.k(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'ca-one']);
    await c.until('kube-root-ca.crt re-created', async () => (await c.raw('GET', '/api/v1/namespaces/ca-one/configmaps/kube-root-ca.crt')).code === 200);
  });
});
