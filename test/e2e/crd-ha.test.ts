/**
 * CustomResourceDefinitions with two API servers on one etcd: each server's CRD
 * controller follows the store, so a CRD applied through one server is served by the
 * other, custom objects written through either are read and watched through both, and a
 * CRD deleted through one stops being served by both.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster, etcdAvailable } from '../../src/store/etcd-process.js';
import { Cluster } from './cluster.js';
import { watchLines } from './watch.js';

const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.ha.example.com}
spec:
  group: ha.example.com
  scope: Cluster
  names: {plural: widgets, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer, maximum: 5}}}
`;

describe('CRDs on two servers sharing etcd', { skip }, () => {
  let etcd: EtcdCluster;
  let s1: Cluster;
  let s2: Cluster;

  before(async () => {
    etcd = await EtcdCluster.start(1);
    const args = ['--datastore-endpoint', etcd.endpoints.join(','), '--token', 'crd-ha-token', '--disable-controllers'];
    s1 = await Cluster.start(args);
    s2 = await Cluster.start(args);
  });

  after(async () => {
    await s1?.destroy();
    await s2?.destroy();
    await etcd?.stop();
  });

  it('serves a CRD applied through the other server', async () => {
    await s1.k(['apply', '-f', '-'], { input: CRD });
    await s2.k(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.ha.example.com']);
    await s2.until('server 2 to serve widgets', async () => (await s2.raw('GET', '/apis/ha.example.com/v1/widgets')).code === 200);
    const w = watchLines(s1, '/apis/ha.example.com/v1/widgets?watch=true');
    try {
      await s1.until('server 1 to serve widgets', async () => (await s1.raw('GET', '/apis/ha.example.com/v1/widgets')).code === 200);
      await w.ready;
      await s2.k(['apply', '-f', '-'], { input: 'apiVersion: ha.example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 2}\n' });
      await s1.until('the widget on server 1\'s watch', async () => w.lines.some((l) => l.type === 'ADDED' && l.object.metadata.name === 'w1'));
      assert.equal(await s1.k(['get', 'wd', 'w1', '-o', 'jsonpath={.spec.size}']), '2');
      const bad = await s1.kubectl(['patch', 'wd', 'w1', '--type=merge', '-p', '{"spec":{"size":9}}']);
      assert.match(bad.stderr, /spec.size: Invalid value: 9: spec.size in body should be less than or equal to 5/);
    } finally {
      w.close();
    }
  });

  it('stops serving on both once the CRD is deleted through one', async () => {
    await s2.k(['delete', 'crd', 'widgets.ha.example.com', '--timeout=60s']);
    await s1.until('server 1 to stop serving widgets', async () => (await s1.raw('GET', '/apis/ha.example.com/v1/widgets')).code === 404);
    assert.equal((await s2.raw('GET', '/apis/ha.example.com/v1/widgets')).code, 404);
  });
});
