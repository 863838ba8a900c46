/**
 * Bad input gets the status code and metav1.Status a real API server gives, and nothing
 * half-written stays behind; stale updates conflict; anonymous requests are refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

const deploy = (o: { name?: string; selector?: boolean; image?: string } = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: o.name ?? 'd1', namespace: 'default' },
  spec: {
    replicas: 1,
    ...(o.selector === false ? {} : { selector: { matchLabels: { app: 'x' } } }),
    template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', ...(o.image === '' ? {} : { image: o.image ?? 'busybox' }) }] } },
  },
});

describe('API errors', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--disable-controllers']);
  });
  after(async () => {
    await c.destroy();
  });
  const post = (path: string, body: unknown, contentType = 'application/json') => c.raw('POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body), contentType });
  const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

  it('refuses requests without credentials with 401', async () => {
    const r = await c.raw('GET', '/api/v1/namespaces', { anonymous: true });
    assert.equal(r.code, 401);
    assert.equal(r.json.reason, 'Unauthorized');
    assert.equal((await c.raw('GET', '/healthz', { anonymous: true })).code, 200);
  });

  it('answers malformed JSON and YAML with 400', async () => {
    const j = await post('/api/v1/namespaces/default/configmaps', '{"apiVersion": "v1", "kind": ');
    assert.equal(j.code, 400);
    assert.equal(j.json.kind, 'Status');
    assert.equal(j.json.reason, 'BadRequest');
    const y = await post('/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed', 'application/yaml');
    assert.equal(y.code, 400);
  });

  it('rejects an invalid name with 422 naming metadata.name', async () => {
    const r = await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } });
    assert.equal(r.code, 422);
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(r.json.details.causes[0].field, 'metadata.name');
    assert.match(r.json.message, /ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const k = await c.kubectl(['create', 'configmap', 'Bad_Name']);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /is invalid/);
  });

  it('names missing required fields', async () => {
    const noSel = await post(DEPLOYS, deploy({ selector: false }));
    assert.equal(noSel.code, 422);
    assert.ok(noSel.json.details.causes.some((x: any) => x.field === 'spec.selector' && x.reason === 'FieldValueRequired'));
    const noImage = await post(DEPLOYS, deploy({ image: '' }));
    assert.equal(noImage.code, 422);
    assert.ok(noImage.json.details.causes.some((x: any) => x.field === 'spec.template.spec.containers[0].image'));
  });

  it('refuses a body whose kind or apiVersion does not fit the URL', async () => {
    const wrongVersion = await post(DEPLOYS, { ...deploy(), apiVersion: 'v1' });
    assert.equal(wrongVersion.code, 400);
    assert.match(wrongVersion.json.message, /does not match the expected API version/);
    const wrongKind = await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    assert.equal(wrongKind.code, 400);
  });

  it('refuses bodies over 3 MiB with 413', async () => {
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } };
    const r = await post('/api/v1/namespaces/default/configmaps', big);
    assert.equal(r.code, 413);
    assert.equal((await c.raw('GET', '/api/v1/namespaces/default/configmaps/big')).code, 404);
  });

  it('refuses changes to immutable fields with 422', async () => {
    assert.equal((await post(DEPLOYS, deploy({ name: 'imm' }))).code, 201);
    const cur = await c.getJson(`${DEPLOYS}/imm`);
    cur.spec.selector = { matchLabels: { app: 'y' } };
    cur.spec.template.metadata.labels = { app: 'y' };
    const r = await c.raw('PUT', `${DEPLOYS}/imm`, { body: JSON.stringify(cur) });
    assert.equal(r.code, 422);
    assert.ok(r.json.details.causes.some((x: any) => x.field === 'spec.selector' && /field is immutable/.test(x.message)));
  });

  it('answers a stale update with 409 Conflict', async () => {
    await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cc' }, data: { a: '1' } });
    const v1 = await c.getJson('/api/v1/namespaces/default/configmaps/cc');
    const v2 = { ...v1, data: { a: '2' } };
    assert.equal((await c.raw('PUT', '/api/v1/namespaces/default/configmaps/cc', { body: JSON.stringify(v2) })).code, 200);
    const stale = await c.raw('PUT', '/api/v1/namespaces/default/configmaps/cc', { body: JSON.stringify({ ...v1, data: { a: '3' } }) });
    assert.equal(stale.code, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.match(stale.json.message, /the object has been modified; please apply your changes to the latest version and try again/);
  });

  it('refuses objects in a namespace that does not exist with 404', async () => {
    const r = await post('/api/v1/namespaces/nope/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.equal(r.code, 404);
    assert.equal(r.json.message, 'namespaces "nope" not found');
  });

  it('creates with generateName, and answers duplicates with 409 AlreadyExists', async () => {
    const g = await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(g.code, 201);
    assert.match(g.json.metadata.name, /^gen-[a-z0-9]{5}$/);
    const dup = await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.json.metadata.name } });
    assert.equal(dup.code, 409);
    assert.equal(dup.json.reason, 'AlreadyExists');
  });

  it('leaves nothing behind with dryRun=All', async () => {
    const r = await post('/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } });
    assert.equal(r.code, 201);
    assert.equal((await c.raw('GET', '/api/v1/namespaces/default/configmaps/dry')).code, 404);
  });
});
