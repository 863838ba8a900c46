import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findMatchingVolume, volumeFitsNode } from './matching.js';

const pv = (name: string, size: string, o: { cls?: string; modes?: string[]; labels?: Record<string, string>; phase?: string; claimRef?: any; node?: string } = {}) =>
  Object.freeze({
    metadata: { name, labels: o.labels ?? {} },
    spec: {
      capacity: { storage: size },
      accessModes: o.modes ?? ['ReadWriteOnce'],
      storageClassName: o.cls ?? 'manual',
      hostPath: { path: `/tmp/${name}` },
      ...(o.claimRef ? { claimRef: o.claimRef } : {}),
      ...(o.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } } : {}),
    },
    status: { phase: o.phase ?? 'Available' },
  });
const pvc = (size: string, extra: any = {}) => ({ metadata: { name: 'c', namespace: 'ns', uid: 'u1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, storageClassName: 'manual', ...extra } });
const node = (name: string) => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } });

describe('findMatchingVolume', () => {
  it('takes the smallest Available volume that covers the request (1Gi: 500Mi no, 2Gi yes, 5Gi bigger)', () => {
    assert.equal(findMatchingVolume(pvc('1Gi'), [pv('big', '5Gi'), pv('small', '500Mi'), pv('mid', '2Gi')])?.metadata.name, 'mid');
  });
  it('needs the class, every access mode, the selector and an Available phase', () => {
    assert.equal(findMatchingVolume(pvc('1Gi'), [pv('other', '2Gi', { cls: 'fast' })]), undefined);
    assert.equal(findMatchingVolume(pvc('1Gi', { accessModes: ['ReadWriteMany'] }), [pv('rwo', '2Gi')]), undefined);
    assert.equal(findMatchingVolume(pvc('1Gi', { selector: { matchLabels: { tier: 'fast' } } }), [pv('plain', '2Gi'), pv('fast', '3Gi', { labels: { tier: 'fast' } })])?.metadata.name, 'fast');
    assert.equal(findMatchingVolume(pvc('1Gi'), [pv('released', '2Gi', { phase: 'Released' })]), undefined);
  });
  it('prefers a volume pre-bound to the claim, and never takes one bound to another claim', () => {
    const mine = pv('mine', '9Gi', { claimRef: { namespace: 'ns', name: 'c' } });
    const theirs = pv('theirs', '1Gi', { claimRef: { namespace: 'ns', name: 'other', uid: 'u2' } });
    assert.equal(findMatchingVolume(pvc('1Gi'), [pv('free', '1Gi'), theirs, mine])?.metadata.name, 'mine');
    assert.equal(findMatchingVolume(pvc('1Gi'), [theirs]), undefined);
  });
  it('with a node (WaitForFirstConsumer), only volumes whose node affinity admits it', () => {
    const vols = [pv('on-a', '1Gi', { node: 'a' }), pv('on-b', '2Gi', { node: 'b' })];
    assert.equal(findMatchingVolume(pvc('1Gi'), vols, node('b'))?.metadata.name, 'on-b');
    assert.equal(volumeFitsNode(vols[0], node('b')), false);
    assert.equal(volumeFitsNode(pv('anywhere', '1Gi'), node('b')), true);
  });
});
