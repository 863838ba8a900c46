import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getCondition } from './conditions.js';
import { progressCheckDelayMs, rolloutStatus } from './progress.js';
import { calculateStatus, compactStatus, statusEqual } from './status.js';
import { dep, rs } from './test-fixtures.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => T0 + s * 1000;

describe('calculateStatus', () => {
  it('sums the ReplicaSets and sets Available from minAvailable', () => {
    const d = dep(10, 3, 2);
    d.metadata.generation = 4;
    const old = rs('old', 8, 8);
    const neu = rs('new', 5, 1);
    neu.status!.readyReplicas = 2;
    const s = calculateStatus([old, neu], neu, d, T0);
    assert.equal(s.observedGeneration, 4);
    assert.equal(s.replicas, 13);
    assert.equal(s.updatedReplicas, 5);
    assert.equal(s.readyReplicas, 10);
    assert.equal(s.availableReplicas, 9);
    assert.equal(s.unavailableReplicas, 4);
    assert.equal(getCondition(s, 'Available')!.status, 'True'); // 9 >= 10 - 2
    const s2 = calculateStatus([rs('old', 8, 7), rs('new', 5, 0)], undefined, d, T0);
    assert.equal(getCondition(s2, 'Available')!.reason, 'MinimumReplicasUnavailable');
  });
  it('compares with missing counts equal to zero, and omits zeros on the wire', () => {
    assert.equal(statusEqual({ replicas: 0, observedGeneration: 1 }, { observedGeneration: 1 }), true);
    assert.equal(statusEqual({ collisionCount: 0 }, {}), false);
    assert.deepEqual(compactStatus({ replicas: 0, updatedReplicas: 2, conditions: [] }), { updatedReplicas: 2 });
  });
});

describe('Progressing condition', () => {
  const progressing = (reason: string, updated: number) => ({ type: 'Progressing', status: 'True' as const, reason, message: '', lastUpdateTime: new Date(at(updated)).toISOString().replace('.000', ''), lastTransitionTime: new Date(T0).toISOString().replace('.000', '') });

  it('NewReplicaSetAvailable when complete', () => {
    const d = dep(3);
    d.status = { replicas: 3, updatedReplicas: 2, availableReplicas: 2, conditions: [progressing('ReplicaSetUpdated', 0)] };
    const neu = rs('web-abc', 3, 3);
    const s = rolloutStatus([neu], neu, d, at(10));
    const c = getCondition(s, 'Progressing')!;
    assert.equal(c.reason, 'NewReplicaSetAvailable');
    assert.equal(c.message, 'ReplicaSet "web-abc" has successfully progressed.');
  });
  it('ReplicaSetUpdated refreshes lastUpdateTime on progress, keeping lastTransitionTime', () => {
    const d = dep(3);
    d.status = { replicas: 3, updatedReplicas: 1, availableReplicas: 1, conditions: [progressing('ReplicaSetUpdated', 0)] };
    const s = rolloutStatus([rs('old', 1, 1), rs('new', 2, 2)], rs('new', 2, 2), d, at(30));
    const c = getCondition(s, 'Progressing')!;
    assert.equal(c.reason, 'ReplicaSetUpdated');
    assert.equal(c.lastUpdateTime, '2026-01-01T00:00:30Z');
    assert.equal(c.lastTransitionTime, '2026-01-01T00:00:00Z');
  });
  it('ProgressDeadlineExceeded after progressDeadlineSeconds without progress, and the check is scheduled', () => {
    const d = dep(3);
    d.spec.progressDeadlineSeconds = 60;
    const olds = [rs('old', 2, 2)];
    const neu = rs('web-abc', 2, 0);
    d.status = calculateStatus([...olds, neu], neu, d, T0);
    d.status.conditions = [progressing('ReplicaSetUpdated', 0), ...(d.status.conditions ?? [])];
    const early = rolloutStatus([...olds, neu], neu, d, at(30));
    assert.equal(getCondition(early, 'Progressing')!.reason, 'ReplicaSetUpdated');
    assert.equal(progressCheckDelayMs(d, early, at(30)), 31_000); // 60 - 30 s, + 1 s
    const late = rolloutStatus([...olds, neu], neu, d, at(61));
    const c = getCondition(late, 'Progressing')!;
    assert.deepEqual([c.status, c.reason, c.message], ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-abc" has timed out progressing.']);
  });
  it('no Progressing condition without a deadline (progressDeadlineSeconds = MaxInt32)', () => {
    const d = dep(1);
    d.spec.progressDeadlineSeconds = 2147483647;
    d.status = { conditions: [progressing('ReplicaSetUpdated', 0)] };
    assert.equal(getCondition(rolloutStatus([rs('n', 1, 0)], rs('n', 1, 0), d, T0), 'Progressing'), undefined);
  });
  it('mirrors ReplicaFailure of the new ReplicaSet', () => {
    const d = dep(1);
    const neu = rs('n', 1, 0);
    neu.status!.conditions = [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    const c = getCondition(rolloutStatus([neu], neu, d, T0), 'ReplicaFailure')!;
    assert.deepEqual([c.reason, c.message, c.lastUpdateTime], ['FailedCreate', 'quota', '2026-01-01T00:00:00Z']);
  });
});
