import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorMessage } from '../../apiserver/errors.js';
import { poddisruptionbudgets } from './policy.js';

const errs = (spec: any, operation: 'create' | 'status' = 'create', status?: any) =>
  poddisruptionbudgets.validate!({ metadata: { name: 'b' }, spec, status }, { operation }).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe('PodDisruptionBudget validation and printing', () => {
  it('accepts one of minAvailable/maxUnavailable as a count or percent, or neither', () => {
    for (const spec of [{ minAvailable: 2 }, { minAvailable: '100%' }, { maxUnavailable: 0 }, { maxUnavailable: '30%', unhealthyPodEvictionPolicy: 'AlwaysAllow' }, {}]) assert.deepEqual(errs({ selector: { matchLabels: { app: 'a' } }, ...spec }), [], JSON.stringify(spec));
  });

  it('rejects both, bad values, bad selectors and unknown policies with upstream messages', () => {
    assert.match(errs({ minAvailable: 1, maxUnavailable: 1 })[0], /^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
    assert.deepEqual(errs({ minAvailable: '101%' }), ['spec.minAvailable: Invalid value: "101%": must not be greater than 100%']);
    assert.deepEqual(errs({ maxUnavailable: -2 }), ['spec.maxUnavailable: Invalid value: -2: must be greater than or equal to 0']);
    assert.deepEqual(errs({ minAvailable: '1.5%' }), ["spec.minAvailable: Invalid value: \"1.5%\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]);
    assert.deepEqual(errs({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Never' }), ['spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"']);
    assert.deepEqual(errs({ selector: { matchExpressions: [{ key: 'app', operator: 'Is', values: ['a'] }, { key: 'app', operator: 'In' }, { key: 'app', operator: 'Exists', values: ['a'] }] } }), [
      'spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator',
      "spec.selector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[2].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]);
  });

  it('checks only the counters on status writes', () => {
    assert.deepEqual(errs({ minAvailable: 1, maxUnavailable: 1 }, 'status', { disruptionsAllowed: 0 }), []);
    assert.deepEqual(errs({}, 'status', { disruptionsAllowed: -1, expectedPods: 3 }), ['status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('prints NAME, MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE', () => {
    assert.deepEqual(poddisruptionbudgets.columns.map((c) => c.name), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
    const now = new Date('2026-01-01T00:01:00Z');
    const meta = { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' };
    assert.deepEqual(poddisruptionbudgets.row({ metadata: meta, spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }, now), ['web', '2', 'N/A', 1, '60s']);
    assert.deepEqual(poddisruptionbudgets.row({ metadata: meta, spec: { maxUnavailable: '25%' } }, now), ['web', 'N/A', '25%', 0, '60s']);
  });
});
