import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clearedDisruptionCondition, staleDisruptionCondition } from './stale-condition.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const mark = (o: { reason?: string; status?: string; phase?: string; deleting?: boolean } = {}) => ({
  metadata: { name: 'p', namespace: 'ns', resourceVersion: '7', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'DisruptionTarget', status: o.status ?? 'True', reason: o.reason ?? 'EvictionByEvictionAPI', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
});

describe('stale DisruptionTarget marks', () => {
  it('become stale two minutes after the mark on a pod that is still running', () => {
    assert.deepEqual(staleDisruptionCondition(mark(), T0 + 30_000), { has: true, waitMs: 90_000 });
    assert.deepEqual(staleDisruptionCondition(mark(), T0 + 200_000), { has: true, waitMs: 0 });
  });

  it('leave terminating and finished pods, kubelet marks and cleared marks alone', () => {
    for (const p of [mark({ deleting: true }), mark({ phase: 'Succeeded' }), mark({ phase: 'Failed' }), mark({ reason: 'TerminationByKubelet' }), mark({ status: 'False' }), { metadata: { name: 'x' }, status: {} }]) {
      assert.equal(staleDisruptionCondition(p, T0 + 200_000).has, false);
    }
  });

  it('replaces the mark with DisruptionTarget=False, keeping the other conditions and the resourceVersion', () => {
    const p = mark();
    (p.status.conditions as any[]).unshift({ type: 'Ready', status: 'True' });
    const next = clearedDisruptionCondition(Object.freeze(p), T0 + 200_000);
    assert.equal(next.metadata.resourceVersion, '7');
    assert.deepEqual(next.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'DisruptionTarget', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:03:20Z' }]);
    assert.equal(p.status.conditions[1].status, 'True', 'the cached pod is not changed');
  });
});
