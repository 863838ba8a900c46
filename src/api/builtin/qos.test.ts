import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPodSpec } from './defaults.js';
import { qosClass } from './pod-validation.js';

const spec = (...resources: any[]) => {
  const s = { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'busybox', resources: r })) };
  defaultPodSpec(s);
  return s;
};

describe('QoS class (upstream ComputePodQOS)', () => {
  it('BestEffort without cpu/memory requests or limits (other resources do not count)', () => {
    assert.equal(qosClass(spec({})), 'BestEffort');
    assert.equal(qosClass(spec({ requests: { 'ephemeral-storage': '1Gi' } })), 'BestEffort');
    assert.equal(qosClass(spec({ requests: { cpu: '0' } })), 'BestEffort');
  });
  it('Guaranteed when every container limits cpu and memory and requests equal limits (by value)', () => {
    assert.equal(qosClass(spec({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed', 'requests default to limits');
    assert.equal(qosClass(spec({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } }, { limits: { cpu: '500m', memory: '64Mi' } })), 'Guaranteed');
  });
  it('Burstable otherwise', () => {
    assert.equal(qosClass(spec({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } })), 'Burstable');
    assert.equal(qosClass(spec({ limits: { cpu: '1', memory: '1Gi' } }, {})), 'Burstable');
    assert.equal(qosClass(spec({ limits: { cpu: '1' } })), 'Burstable');
    assert.equal(qosClass(spec({ requests: { memory: '1Mi' } })), 'Burstable');
  });
});
