import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { limitranges, quotaCells, resourcequotas, validateLimitRangeSpec, validateQuotaSpec } from './quota.js';

const details = (errs: { field: string; detail: string }[]) => errs.map((e) => `${e.field}: ${e.detail}`);

describe('ResourceQuota and LimitRange API', () => {
  it('validates quota resource names, quantities and scopes with upstream messages', () => {
    assert.deepEqual(details(validateQuotaSpec({ hard: { pods: '-1', secrets: '1.5', 'requests.cpu': '1', 'count/deployments.apps': '2', bogus: '1', 'example.com/foo': '1' } })), [
      'spec.hard[pods]: must be greater than or equal to 0',
      'spec.hard[secrets]: must be an integer',
      'spec.hard[bogus]: must be a standard resource for quota',
    ]);
    assert.deepEqual(details(validateQuotaSpec({ hard: { pods: '1' }, scopes: ['Terminating', 'NotTerminating'] })), ['spec.scopes: conflicting scopes']);
    assert.deepEqual(details(validateQuotaSpec({ hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] })), ['spec.scopes: unsupported scope applied to resource']);
    assert.deepEqual(details(validateQuotaSpec({ hard: { pods: '1' }, scopes: ['Sometimes'] })), ['spec.scopes: unsupported scope']);
  });

  it('validates limit range ordering min ≤ defaultRequest ≤ default ≤ max and ratios', () => {
    assert.deepEqual(details(validateLimitRangeSpec({ limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] })), ['spec.limits[0].min[cpu]: min value 2 is greater than max value 1']);
    assert.deepEqual(details(validateLimitRangeSpec({ limits: [{ type: 'Container', default: { memory: '1Gi' }, max: { memory: '512Mi' } }] })), ['spec.limits[0].default[memory]: default value 1Gi is greater than max value 512Mi']);
    assert.deepEqual(details(validateLimitRangeSpec({ limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }] })), ['spec.limits[0].maxLimitRequestRatio[cpu]: ratio 500m is less than 1']);
    assert.deepEqual(details(validateLimitRangeSpec({ limits: [{ type: 'Pod', default: { cpu: '1' } }] })), ["spec.limits[0].default: may not be specified when `type` is 'Pod'"]);
  });

  it('defaults a Container item (default ← max, defaultRequest ← default, then min) and stores canonical quantities', () => {
    const lr: any = { spec: { limits: [{ type: 'Container', max: { cpu: '2000m' }, min: { memory: '64Mi' } }] } };
    limitranges.defaults!(lr);
    assert.deepEqual(lr.spec.limits[0], { type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' }, default: { cpu: '2' }, defaultRequest: { cpu: '2', memory: '64Mi' } });
  });

  it('prints REQUEST and LIMIT as upstream: sorted "name: used/hard", limits.* apart', () => {
    const q = { status: { hard: { pods: '10', 'requests.cpu': '1', 'limits.memory': '2Gi', 'limits.cpu': '2' }, used: { pods: '3', 'requests.cpu': '500m', 'limits.cpu': '1' } } };
    assert.deepEqual(quotaCells(q), ['pods: 3/10, requests.cpu: 500m/1', 'limits.cpu: 1/2, limits.memory: 0/2Gi']);
    assert.deepEqual(resourcequotas.columns.map((c) => c.name), ['Name', 'Age', 'Request', 'Limit']);
    assert.deepEqual(limitranges.columns.map((c) => c.name), ['Name', 'Created At']);
  });
});
