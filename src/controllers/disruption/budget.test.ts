import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countHealthyPods, disruptedPodMap, expectedPodCount, failSafeStatus, nextStatus, scaledValue, type ScaleFinder } from './budget.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(name: string, o: { ready?: boolean; owner?: string; deleting?: boolean } = {}): any {
  return Object.freeze({
    metadata: { name, namespace: 'ns', ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}), ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}) },
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  });
}

const pdb = (spec: any, status: any = {}, generation = 1) => ({ metadata: { name: 'b', namespace: 'ns', generation }, spec, status });
/** Finder: ReplicaSet "rs" has a scale of 5. */
const finders: ScaleFinder[] = [(ref) => (ref.kind === 'ReplicaSet' && ref.name === 'rs' ? { uid: 'dep', scale: 5 } : undefined)];

describe('disruption budget arithmetic', () => {
  it('resolves percents against the total, rounding up', () => {
    assert.equal(scaledValue('30%', 5), 2);
    assert.equal(scaledValue('50%', 3), 2);
    assert.equal(scaledValue(4, 10), 4);
    assert.throws(() => scaledValue('x%', 3), /invalid value for IntOrString/);
  });

  it('takes an integer minAvailable as is, over the selected pods', async () => {
    const pods = [pod('a'), pod('b')];
    assert.deepEqual(await expectedPodCount(pdb({ minAvailable: 3 }), pods, []), { expectedCount: 2, desiredHealthy: 3, unmanagedPods: [] });
  });

  it('resolves maxUnavailable and percent minAvailable against the controllers\' scale, each controller once', async () => {
    const pods = [pod('a', { owner: 'rs' }), pod('b', { owner: 'rs' }), pod('c', { owner: 'rs' })];
    // 5 replicas, 30% of 5 = ceil(1.5) = 2 may be unavailable → 3 desired healthy.
    assert.deepEqual(await expectedPodCount(pdb({ maxUnavailable: '30%' }), pods, finders), { expectedCount: 5, desiredHealthy: 3, unmanagedPods: [] });
    assert.deepEqual(await expectedPodCount(pdb({ maxUnavailable: 1 }), pods, finders), { expectedCount: 5, desiredHealthy: 4, unmanagedPods: [] });
    assert.deepEqual(await expectedPodCount(pdb({ maxUnavailable: 9 }), pods, finders), { expectedCount: 5, desiredHealthy: 0, unmanagedPods: [] });
    assert.deepEqual(await expectedPodCount(pdb({ minAvailable: '50%' }), pods, finders), { expectedCount: 5, desiredHealthy: 3, unmanagedPods: [] });
  });

  it('lists pods without a controller as unmanaged, and fails on a controller without scale', async () => {
    assert.deepEqual((await expectedPodCount(pdb({ maxUnavailable: '50%' }), [pod('bare'), pod('a', { owner: 'rs' })], finders)).unmanagedPods, ['bare']);
    await assert.rejects(expectedPodCount(pdb({ minAvailable: '50%' }), [pod('x', { owner: 'other' })], finders), /found no controllers for pod "x"/);
  });

  it('keeps disruptedPods entries for two minutes, then drops them and schedules a recheck', () => {
    const b = pdb({ minAvailable: 1 }, { disruptedPods: { a: iso(T0), b: iso(T0 - 3 * 60_000), gone: iso(T0) } });
    const pods = [pod('a'), pod('b'), pod('c')];
    const r = disruptedPodMap(b, pods, T0 + 1000);
    assert.deepEqual(r.disruptedPods, { a: iso(T0) });
    assert.equal(r.recheckAt, T0 + 120_000);
    assert.deepEqual(r.notDeleted.map((p) => p.metadata.name), ['b']);
    // a is about to be deleted, d is terminating, e is not ready: only b and c count.
    assert.equal(countHealthyPods([...pods, pod('d', { deleting: true }), pod('e', { ready: false })], r.disruptedPods, T0 + 1000), 2);
  });

  it('allows currentHealthy - desiredHealthy disruptions, none while no pods are expected', () => {
    const s = nextStatus(pdb({ minAvailable: 2 }, {}, 3), { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptedPods: {} }, T0);
    assert.equal(s.disruptionsAllowed, 1);
    assert.equal(s.observedGeneration, 3);
    assert.deepEqual(s.conditions, [{ type: 'DisruptionAllowed', status: 'True', observedGeneration: 3, lastTransitionTime: iso(T0), reason: 'SufficientPods', message: '' }]);
    assert.equal(nextStatus(pdb({ minAvailable: 0 }), { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptedPods: {} }, T0).disruptionsAllowed, 0);
    const low = nextStatus(pdb({ minAvailable: 3 }), { currentHealthy: 2, desiredHealthy: 3, expectedPods: 3, disruptedPods: {} }, T0);
    assert.equal(low.disruptionsAllowed, 0);
    assert.equal(low.conditions[0].reason, 'InsufficientPods');
  });

  it('writes nothing when the status is already right', () => {
    const cur = pdb({ minAvailable: 2 }, { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 1, lastTransitionTime: iso(T0), message: '' }] });
    assert.equal(nextStatus(cur, { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptedPods: {} }, T0 + 5000), undefined);
    // A new generation must be observed even when the numbers stay.
    assert.ok(nextStatus({ ...cur, metadata: { ...cur.metadata, generation: 2 } }, { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptedPods: {} }, T0 + 5000));
  });

  it('fails safe with SyncFailed and the error, keeping the transition time when already False', () => {
    const st = failSafeStatus(pdb({ minAvailable: '50%' }, { disruptionsAllowed: 2, observedGeneration: 1, conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', lastTransitionTime: iso(T0), message: '' }] }), new Error('found no controllers for pod "x"'), T0 + 9000);
    assert.equal(st.disruptionsAllowed, 0);
    assert.deepEqual(st.conditions, [{ type: 'DisruptionAllowed', status: 'False', observedGeneration: 1, lastTransitionTime: iso(T0), reason: 'SyncFailed', message: 'found no controllers for pod "x"' }]);
  });
});
