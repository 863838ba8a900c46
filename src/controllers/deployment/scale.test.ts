import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findActiveOrLatest, isScalingEvent, planScale, replicaSetFraction } from './scale.js';
import { dep, rs } from './test-fixtures.js';
import type { ReplicaSet } from './types.js';

const ann = (desired: number, max: number) => ({ 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(max) });
const plan = (steps: { rs: ReplicaSet; to: number; op: string }[]) => Object.fromEntries(steps.map((s) => [s.rs.metadata.name, [s.to, s.op]]));

describe('proportional scaling (scale)', () => {
  it('10 -> 15 mid-rollout with maxSurge 3: old 8 -> 11, new 5 -> 7 (the documented example)', () => {
    const old = rs('old', 8, 8, { annotations: ann(10, 13) });
    const neu = rs('new', 5, 0, { annotations: ann(10, 13) });
    assert.deepEqual(plan(planScale(dep(15, 3, 2), neu, [old])), { old: [11, 'up'], new: [7, 'up'] });
  });
  it('10 -> 5 mid-rollout: old 8 -> 5, new 5 -> 3 (larger and older shrink first)', () => {
    const old = rs('old', 8, 8, { annotations: ann(10, 13) });
    const neu = rs('new', 5, 0, { annotations: ann(10, 13) });
    assert.deepEqual(plan(planScale(dep(5, 3, 2), neu, [old])), { old: [5, 'down'], new: [3, 'down'] });
  });
  it('scaling to 0 takes every active ReplicaSet to 0', () => {
    const old = rs('old', 8, 8, { annotations: ann(10, 13) });
    const neu = rs('new', 5, 0, { annotations: ann(10, 13) });
    assert.deepEqual(plan(planScale(dep(0, 3, 2), neu, [old])), { old: [0, 'down'], new: [0, 'down'] });
  });
  it('rounding leftovers go to the largest (newest on ties when scaling up)', () => {
    const a = rs('a', 1, 1, { annotations: ann(3, 3) });
    const b = rs('b', 1, 1, { annotations: ann(3, 3) });
    const c = rs('c', 1, 1, { annotations: ann(3, 3) });
    // ceiling 3 -> 4: each fraction round(1*4/3) - 1 = 0, the leftover 1 goes to c (newest)
    assert.deepEqual(plan(planScale(dep(4, 0, 1), c, [a, b])), { c: [2, 'up'], b: [1, 'up'], a: [1, 'up'] });
  });
  it('three ReplicaSets 4/3/3 from 10 to 12 (maxSurge 0): 5/4/3', () => {
    const a = rs('a', 3, 3, { annotations: ann(10, 10) });
    const b = rs('b', 3, 3, { annotations: ann(10, 10) });
    const c = rs('c', 4, 4, { annotations: ann(10, 10) });
    assert.deepEqual(plan(planScale(dep(12, 0, 1), undefined, [c, a, b])), { c: [5, 'up'], b: [4, 'up'], a: [3, 'up'] });
  });
  it('a single active ReplicaSet takes the full count; none active -> the newest', () => {
    const old = rs('old', 0, 0);
    const neu = rs('new', 3, 3);
    assert.deepEqual(plan(planScale(dep(6), neu, [old])), { new: [6, 'up'] });
    const o1 = rs('o1', 0, 0);
    const o2 = rs('o2', 0, 0);
    assert.equal(findActiveOrLatest(undefined, [o1, o2])!.metadata.name, 'o2');
    assert.deepEqual(plan(planScale(dep(2), undefined, [o1, o2])), { o2: [2, 'up'] });
    assert.deepEqual(planScale(dep(3), neu, [old]), []);
  });
  it('a saturated new ReplicaSet sends the old ones to 0', () => {
    const neu = rs('new', 5, 5, { annotations: ann(5, 7) });
    const old = rs('old', 2, 2, { annotations: ann(5, 7) });
    assert.deepEqual(plan(planScale(dep(5), neu, [old])), { old: [0, 'down'] });
  });
  it('falls back to status.replicas without a max-replicas annotation', () => {
    const d = dep(20, 0, 1);
    d.status.replicas = 10;
    assert.equal(replicaSetFraction(rs('x', 5), d), 5); // round(5*20/10) - 5
  });
  it('isScalingEvent: an active ReplicaSet sized for another replicas count', () => {
    const neu = rs('new', 3, 3, { annotations: ann(3, 4) });
    assert.equal(isScalingEvent(dep(3), neu, []), false);
    assert.equal(isScalingEvent(dep(5), neu, []), true);
    assert.equal(isScalingEvent(dep(5), rs('n', 3), []), false, 'no annotation: not a scaling event');
    assert.equal(isScalingEvent(dep(5), rs('n', 0, 0, { annotations: ann(3, 4) }), []), false, 'inactive ones do not count');
  });
});
