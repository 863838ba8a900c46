/**
 * Nothing acknowledged is lost: a server stopped with SIGTERM or killed with SIGKILL and
 * started again on the same data dir has every object (same uid and resourceVersion).
 * Also: unknown fields are refused under kubectl's strict validation, and kubectl explain
 * reads the published schemas.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

describe('restarts and schemas', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--disable-controllers']);
  });
  after(async () => {
    await c.destroy();
  });

  it('keeps every object across a clean restart', async () => {
    await c.k(['create', 'namespace', 'keep']);
    for (let i = 0; i < 20; i++) await c.k(['create', 'configmap', `cm${i}`, '-n', 'keep', `--from-literal=i=${i}`]);
    const before = JSON.parse(await c.k(['get', 'cm', '-n', 'keep', '-o', 'json'])).items;
    assert.equal(await c.stop(), 0, 'the server exits cleanly on SIGTERM');
    await c.restart();
    const after = JSON.parse(await c.k(['get', 'cm', '-n', 'keep', '-o', 'json'])).items;
    assert.deepEqual(
      after.map((x: any) => [x.metadata.name, x.metadata.uid, x.metadata.resourceVersion, x.data.i]),
      before.map((x: any) => [x.metadata.name, x.metadata.uid, x.metadata.resourceVersion, x.data.i]),
    );
  });

  it('keeps every acknowledged write after kill -9', async () => {
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await c.raw('POST', '/api/v1/namespaces/keep/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `k${i}` } }) });
      assert.equal(r.code, 201);
      acked.push(`k${i}`);
    }
    await c.kill();
    await c.restart();
    const names = new Set(JSON.parse(await c.k(['get', 'cm', '-n', 'keep', '-o', 'json'])).items.map((x: any) => x.metadata.name));
    for (const n of acked) assert.ok(names.has(n), `${n} survived`);
    const created = await c.k(['create', 'configmap', 'after-crash', '-n', 'keep']);
    assert.match(created, /created/);
  });

  it('refuses unknown fields under strict validation', async () => {
    const doc = `apiVersion: apps/v1
kind: Deployment
metadata: {name: typo, namespace: keep}
spec:
  replicaz: 3
  selector: {matchLabels: {app: t}}
  template:
    metadata: {labels: {app: t}}
    spec: {containers: [{name: c, image: busybox}]}
`;
    const r = await c.kubectl(['apply', '-f', '-'], { input: doc });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec.replicaz"/);
    const warn = await c.kubectl(['apply', '--validate=warn', '-f', '-'], { input: doc });
    assert.equal(warn.code, 0);
    assert.match(warn.stderr, /unknown field "spec.replicaz"/);
  });

  it('explains fields from the published OpenAPI', async () => {
    const out = await c.k(['explain', 'deployment.spec.replicas']);
    assert.match(out, /FIELD:\s+replicas <integer>/);
    assert.match(out, /Number of desired pods/);
    assert.match(await c.k(['explain', 'pod.spec.containers.image']), /FIELD:\s+image <string>/);
  });
});
