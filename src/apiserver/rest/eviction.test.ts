/**
 * pods/eviction against the API handler over the memory store, with no disruption
 * controller: the test writes budget status itself, so every branch is deterministic.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { buildRegistry } from '../../api/index.js';
import { MemoryBackend } from '../../store/memory.js';
import { ApiHandler } from '../handler.js';

const PODS = '/api/v1/namespaces/default/pods';
const PDBS = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';

describe('pods/eviction', () => {
  const backend = new MemoryBackend();
  const handler = new ApiHandler({ registry: buildRegistry(), backend });
  let server: Server;
  let base = '';
  let n = 0;
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(base + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await r.text();
    return { code: r.status, json: text ? JSON.parse(text) : undefined, retryAfter: r.headers.get('retry-after') };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    assert.ok(r.code < 300, `${method} ${path}: ${r.code} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  /** A pod in the given phase, Ready or not, optionally held by a finalizer. */
  const pod = async (name: string, o: { phase?: string; ready?: boolean; hold?: boolean; app?: string } = {}) => {
    const p = await ok('POST', PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: o.app ?? 'x' }, ...(o.hold ? { finalizers: ['example.com/hold'] } : {}) }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    p.status = { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] };
    return ok('PUT', `${PODS}/${name}/status`, p);
  };
  /** A budget whose status says what the controller would have written. */
  const budget = async (name: string, status: any, spec: any = { minAvailable: 1 }, app = 'x') => {
    const b = await ok('POST', PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app } }, ...spec } });
    if (!status) return b;
    b.status = { observedGeneration: 1, ...status };
    return ok('PUT', `${PDBS}/${name}/status`, b);
  };
  const evict = (name: string, extra: any = {}, query = '') => call('POST', `${PODS}/${name}/eviction${query}`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra });

  before(async () => {
    await handler.bootstrap();
    server = createServer((req, res) => void handler.handle(req, res, { name: 'test', groups: ['system:masters'] }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as any).port}`;
  });
  after(async () => {
    await handler.close();
    await new Promise((r) => server.close(r));
    await backend.close();
  });
  beforeEach(async () => {
    // Each test gets its own label, so earlier budgets match nothing of it.
    n++;
  });

  it('refuses while the budget has not been processed, suggesting a retry in 10 s', async () => {
    const app = `t${n}`;
    await pod('fresh', { app });
    await budget('fresh', undefined, { minAvailable: 1 }, app);
    const r = await evict('fresh');
    assert.equal(r.code, 429);
    assert.equal(r.retryAfter, '10');
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget fresh is still being processed by the server.' }], retryAfterSeconds: 10 },
      code: 429,
    });
  });

  it('takes one disruption, records the pod and marks it DisruptionTarget before deleting it', async () => {
    const app = `t${n}`;
    await pod('a', { app, hold: true });
    await pod('b', { app });
    const before = await budget('ab', { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 }, { minAvailable: 1 }, app);
    // A dry run changes nothing.
    assert.equal((await evict('a', {}, '?dryRun=All')).code, 201);
    assert.equal((await ok('GET', `${PDBS}/ab`)).metadata.resourceVersion, before.metadata.resourceVersion);
    assert.ok(!(await ok('GET', `${PODS}/a`)).metadata.deletionTimestamp);

    const r = await evict('a');
    assert.equal(r.code, 201);
    assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const b = await ok('GET', `${PDBS}/ab`);
    assert.equal(b.status.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(b.status.disruptedPods), ['a']);
    const cond = b.status.conditions.find((c: any) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond.status, cond.reason], ['False', 'InsufficientPods']);
    const a = await ok('GET', `${PODS}/a`);
    assert.ok(a.metadata.deletionTimestamp);
    const dt = a.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
    assert.deepEqual({ ...dt, lastTransitionTime: undefined }, { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: undefined, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });

    const no = await evict('b');
    assert.equal(no.code, 429);
    assert.equal(no.retryAfter, null);
    assert.equal(no.json.details.causes[0].message, 'The disruption budget ab needs 1 healthy pods and has 2 currently');
    assert.ok(!(await ok('GET', `${PODS}/b`)).metadata.deletionTimestamp);
    // Already terminating: evicted again without the budget.
    assert.equal((await evict('a')).code, 201);
  });

  it('lets unready pods go without budget when the budget is met or under AlwaysAllow, and Pending or finished pods always', async () => {
    const app = `t${n}`;
    await pod('up', { app });
    await pod('down', { app, ready: false });
    await pod('down2', { app, ready: false });
    await pod('waiting', { app, phase: 'Pending', ready: false });
    await pod('finished', { app, phase: 'Succeeded', ready: false });
    // One healthy, one required: met, but nothing to spare.
    await budget('met', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 5 }, { minAvailable: 1 }, app);
    assert.equal((await evict('up')).code, 429);
    assert.equal((await evict('down')).code, 201);
    assert.equal((await evict('waiting')).code, 201);
    assert.equal((await evict('finished')).code, 201);
    assert.equal((await ok('GET', `${PDBS}/met`)).status.disruptedPods, undefined, 'no budget was taken');
    // Not met: IfHealthyBudget refuses the unready pod, AlwaysAllow lets it go.
    const b = await ok('GET', `${PDBS}/met`);
    b.status.desiredHealthy = 2;
    await ok('PUT', `${PDBS}/met/status`, b);
    assert.equal((await evict('down2')).code, 429);
    const c = await ok('GET', `${PDBS}/met`);
    c.spec.unhealthyPodEvictionPolicy = 'AlwaysAllow';
    const d = await ok('PUT', `${PDBS}/met`, c);
    d.status.observedGeneration = d.metadata.generation;
    await ok('PUT', `${PDBS}/met/status`, d);
    assert.equal((await evict('down2')).code, 201);
    assert.equal((await evict('up')).code, 429);
  });

  it('answers 500 for a pod under two budgets, 404 for a missing pod, 400 for a name mismatch, 409 for a stale precondition', async () => {
    const app = `t${n}`;
    await pod('twice', { app });
    await budget('one', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 }, { maxUnavailable: 1 }, app);
    await budget('two', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 }, { maxUnavailable: 1 }, app);
    const two = await evict('twice');
    assert.equal(two.code, 500);
    assert.deepEqual(two.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
    const missing = await evict('nobody');
    assert.equal(missing.code, 404);
    assert.equal(missing.json.message, 'pods "nobody" not found');
    const bad = await call('POST', `${PODS}/twice/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
    assert.equal(bad.code, 400);
    assert.equal(bad.json.message, 'name in URL does not match name in Eviction object');
    await ok('DELETE', `${PDBS}/two`);
    const stale = await evict('twice', { deleteOptions: { preconditions: { resourceVersion: '1' } } });
    assert.equal(stale.code, 409);
    assert.match(stale.json.message, /^Operation cannot be fulfilled on Pod "twice": the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record \(\d+\)\. The object might have been modified$/);
    // As upstream, the budget was taken before the delete failed; the controller gives it back.
    const one = await ok('GET', `${PDBS}/one`);
    assert.equal(one.status.disruptionsAllowed, 0);
    one.status.disruptionsAllowed = 1;
    await ok('PUT', `${PDBS}/one/status`, one);
    // The policy/v1beta1 body of older clients is accepted as well.
    const v1beta1 = await call('POST', `${PODS}/twice/eviction`, { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'twice' } });
    assert.equal(v1beta1.code, 201);
  });
  it('grants one disruption once when two evictions race for it', async () => {
    const app = `t${n}`;
    await pod('r1', { app });
    await pod('r2', { app });
    await pod('r3', { app });
    await budget('race', { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }, { minAvailable: 2 }, app);
    const codes = (await Promise.all(['r1', 'r2', 'r3'].map((p) => evict(p)))).map((r) => r.code).sort();
    assert.deepEqual(codes, [201, 429, 429]);
    const b = await ok('GET', `${PDBS}/race`);
    assert.equal(b.status.disruptionsAllowed, 0);
    assert.equal(Object.keys(b.status.disruptedPods).length, 1);
  });
});
