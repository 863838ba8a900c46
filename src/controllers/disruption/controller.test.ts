/**
 * The disruption controller's sync functions over a real in-process API server (no
 * workers running, no other controllers), with an injected clock for the two-minute
 * timeouts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../util/log.js';
import { startTestApiServer } from '../common/test-api-server.js';
import { DisruptionController, PDBS } from './controller.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function fixture() {
  const api = await startTestApiServer();
  const { cs } = api;
  const informers = api.informers;
  // Whole seconds, as RFC 3339 timestamps in the API carry them.
  const clock = { now: Math.floor(Date.now() / 1000) * 1000 };
  const dc = new DisruptionController({ cs, informers, log: silentLogger, now: () => clock.now });
  informers.start(api.signal);
  await informers.waitForSync();
  const settle = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(check(), `timed out waiting for ${what}`);
  };
  const cached = (plural: 'pods' | typeof PDBS, name: string) => informers.informer(plural).cache.getByName('default', name);
  /** A pod in the cache, Ready unless said otherwise, owned by owner if given. */
  const pod = async (name: string, o: { app: string; owner?: any; ready?: boolean; conditions?: any[] }) => {
    const p = await cs.resource('pods').create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: o.app }, ...(o.owner ? { ownerReferences: [{ apiVersion: o.owner.apiVersion, kind: o.owner.kind, name: o.owner.metadata.name, uid: o.owner.metadata.uid, controller: true }] } : {}) }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const saved = await cs.resource('pods').updateStatus({ ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }, ...(o.conditions ?? [])] } });
    await settle(`pod ${name}`, () => cached('pods', name)?.metadata.resourceVersion === saved.metadata.resourceVersion);
    return saved;
  };
  const pdb = async (name: string, app: string, spec: any) => {
    const b = await cs.resource(PDBS).create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app } }, ...spec } });
    await settle(`pdb ${name}`, () => !!cached(PDBS, name));
    return b;
  };
  /** Syncs the budget and returns its stored status. */
  const sync = async (name: string) => {
    const r = await dc.syncPdb(`default/${name}`);
    const b = await cs.resource(PDBS).get('default', name);
    await settle(`pdb ${name} in cache`, () => cached(PDBS, name)?.metadata.resourceVersion === b.metadata.resourceVersion);
    return { status: b.status, result: r };
  };
  return {
    cs,
    informers,
    dc,
    clock,
    pod,
    pdb,
    sync,
    settle,
    cached,
    close: api.close,
  };
}

describe('disruption controller (sync)', () => {
  it('counts healthy pods against the owner\'s replicas and writes the DisruptionAllowed condition', async () => {
    const f = await fixture();
    try {
      const rs = await f.cs.resource('replicasets').create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default' }, spec: { replicas: 4, selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
      await f.settle('rs in cache', () => !!f.informers.informer('replicasets').cache.getByName('default', 'rs'));
      for (const [i, ready] of [true, true, true, false].entries()) await f.pod(`w-${i}`, { app: 'w', owner: { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }, ready });
      await f.pdb('w', 'w', { maxUnavailable: '25%' });
      const { status } = await f.sync('w');
      // 4 replicas, 25% → 1 may be unavailable → 3 desired; 3 Ready → none to spare.
      assert.deepEqual({ ...status, conditions: undefined }, { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3, expectedPods: 4, conditions: undefined });
      assert.deepEqual(status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [['DisruptionAllowed', 'False', 'InsufficientPods', '']]);
      await f.cs.resource(PDBS).patch('default', 'w', 'merge', { spec: { maxUnavailable: '50%' } });
      await f.settle('generation 2', () => f.cached(PDBS, 'w')?.metadata.generation === 2);
      const next = (await f.sync('w')).status;
      assert.deepEqual([next.observedGeneration, next.desiredHealthy, next.disruptionsAllowed], [2, 2, 1]);
      assert.deepEqual(next.conditions.map((c: any) => [c.status, c.reason, c.observedGeneration]), [['True', 'SufficientPods', 2]]);
    } finally {
      await f.close();
    }
  });

  it('keeps an eviction\'s disruptedPods entry for two minutes, then drops it', async () => {
    const f = await fixture();
    try {
      for (const i of [0, 1, 2]) await f.pod(`e-${i}`, { app: 'e' });
      await f.pdb('e', 'e', { minAvailable: 2 });
      const first = (await f.sync('e')).status;
      assert.equal(first.disruptionsAllowed, 1);
      // What the eviction subresource writes: e-0 is about to go.
      const b = await f.cs.resource(PDBS).get('default', 'e');
      const t0 = f.clock.now;
      await f.cs.resource(PDBS).updateStatus({ ...b, status: { ...b.status, disruptionsAllowed: 0, disruptedPods: { 'e-0': iso(t0) } } });
      await f.settle('disruptedPods in cache', () => !!f.cached(PDBS, 'e')?.status?.disruptedPods);
      const within = await f.sync('e');
      assert.deepEqual(within.status.disruptedPods, { 'e-0': iso(t0) });
      assert.equal(within.status.currentHealthy, 2);
      assert.equal(within.status.disruptionsAllowed, 0);
      assert.ok(within.result && within.result.requeueAfterMs! > 110_000 && within.result.requeueAfterMs! <= 120_000, `recheck in ${JSON.stringify(within.result)}`);
      // The pod was never deleted: after two minutes it counts again.
      f.clock.now = t0 + 121_000;
      const later = await f.sync('e');
      assert.equal(later.status.disruptedPods, undefined);
      assert.deepEqual([later.status.currentHealthy, later.status.disruptionsAllowed], [3, 1]);
      assert.equal(later.result, undefined);
    } finally {
      await f.close();
    }
  });

  it('fails safe when the owner has no scale, naming why', async () => {
    const f = await fixture();
    try {
      const job = await f.cs.resource({ group: 'batch', version: 'v1', plural: 'jobs', namespaced: true }).create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } });
      await f.pod('j-0', { app: 'j', owner: { ...job, apiVersion: 'batch/v1', kind: 'Job' } });
      await f.pod('x-0', { app: 'x', owner: { apiVersion: 'example.com/v1', kind: 'Foo', metadata: { name: 'foo', uid: 'u-foo' } } });
      await f.pdb('j', 'j', { minAvailable: '50%' });
      await f.pdb('x', 'x', { maxUnavailable: 1 });
      // An integer minAvailable needs no scale at all.
      await f.pdb('j-int', 'j', { minAvailable: 1 });
      const cond = (s: any) => s.conditions.find((c: any) => c.type === 'DisruptionAllowed');
      const j = (await f.sync('j')).status;
      assert.deepEqual([cond(j).status, cond(j).reason, cond(j).message, j.disruptionsAllowed], ['False', 'SyncFailed', 'jobs.batch does not implement the scale subresource', 0]);
      const x = (await f.sync('x')).status;
      assert.equal(cond(x).message, 'no matches for kind "Foo" in version "example.com/v1"');
      const ji = (await f.sync('j-int')).status;
      assert.deepEqual([ji.expectedPods, ji.currentHealthy, ji.disruptionsAllowed, cond(ji).reason], [1, 1, 0, 'InsufficientPods']);
    } finally {
      await f.close();
    }
  });

  it('resets a DisruptionTarget mark left on a pod that was not deleted, after two minutes', async () => {
    const f = await fixture();
    try {
      const t0 = f.clock.now;
      const mark = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: iso(t0) };
      await f.pod('m', { app: 'm', conditions: [mark] });
      assert.deepEqual(await f.dc.syncStalePod('default/m'), { requeueAfterMs: 120_000 });
      f.clock.now = t0 + 120_001;
      await f.dc.syncStalePod('default/m');
      const p = await f.cs.resource('pods').get('default', 'm');
      const c = p.status.conditions.find((x: any) => x.type === 'DisruptionTarget');
      assert.deepEqual(c, { type: 'DisruptionTarget', status: 'False', lastProbeTime: null, lastTransitionTime: iso(t0 + 120_001) });
      assert.ok(p.status.conditions.some((x: any) => x.type === 'Ready' && x.status === 'True'));
    } finally {
      await f.close();
    }
  });
});
