import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wantedClaimOwners } from './claims.js';
import { rollingUpdate, stsMaxUnavailable } from './rolling.js';

const pod = (ordinal: number, rev: string, healthy = true) => Object.freeze({ metadata: { name: `web-${ordinal}`, labels: { 'controller-revision-hash': rev } }, healthy });
const set = (ru: any, replicas = 5) => ({ metadata: { name: 'web' }, spec: { replicas, updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } } });
const names = (ps: any[]) => ps.map((p) => p.metadata.name);
const healthy = (p: any) => p.healthy;

describe('StatefulSet rolling update', () => {
  it('replaces one pod at a time from the highest ordinal, waiting for unhealthy updated pods', () => {
    assert.deepEqual(names(rollingUpdate(set({ partition: 0 }), [0, 1, 2, 3, 4].map((i) => pod(i, 'old')), 'new', healthy)), ['web-4']);
    const slots = [pod(0, 'old'), pod(1, 'old'), pod(2, 'old'), pod(3, 'new', false), pod(4, 'new')];
    assert.deepEqual(names(rollingUpdate(set({ partition: 0 }), slots, 'new', healthy)), [], 'web-3 must be healthy first');
  });
  it('stops at the partition', () => {
    const slots = [pod(0, 'old'), pod(1, 'old'), pod(2, 'old'), pod(3, 'new'), pod(4, 'new')];
    assert.deepEqual(names(rollingUpdate(set({ partition: 3 }), slots, 'new', healthy)), []);
    assert.deepEqual(names(rollingUpdate(set({ partition: 2 }), slots, 'new', healthy)), ['web-2']);
  });
  it('with maxUnavailable deletes up to that many, minus pods already unavailable', () => {
    // 5 replicas, maxUnavailable 2, web-4 updated but not ready: one more goes (web-3).
    const slots = [pod(0, 'old'), pod(1, 'old'), pod(2, 'old'), pod(3, 'old'), pod(4, 'new', false)];
    assert.deepEqual(names(rollingUpdate(set({ partition: 0, maxUnavailable: 2 }), slots, 'new', healthy)), ['web-3']);
    assert.deepEqual(names(rollingUpdate(set({ partition: 0, maxUnavailable: '40%' }), [0, 1, 2, 3, 4].map((i) => pod(i, 'old')), 'new', healthy)), ['web-4', 'web-3']);
    assert.equal(stsMaxUnavailable(set({ maxUnavailable: '10%' })), 1, 'rounds down but never below 1');
  });
});

describe('claim retention owners', () => {
  const s = (whenDeleted: string, whenScaled: string) => ({ metadata: { name: 'web', uid: 'u' }, spec: { replicas: 2, persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } } });
  const p = (o: number) => ({ metadata: { name: `web-${o}`, uid: `p${o}` } });
  it('follows upstream updateClaimOwnerRefForSetAndPod', () => {
    assert.deepEqual(wantedClaimOwners(s('Retain', 'Retain'), p(3)), { set: false, pod: false });
    assert.deepEqual(wantedClaimOwners(s('Delete', 'Retain'), p(3)), { set: true, pod: false });
    assert.deepEqual(wantedClaimOwners(s('Retain', 'Delete'), p(1)), { set: false, pod: false });
    assert.deepEqual(wantedClaimOwners(s('Retain', 'Delete'), p(3)), { set: false, pod: true });
    assert.deepEqual(wantedClaimOwners(s('Delete', 'Delete'), p(1)), { set: true, pod: false });
    assert.deepEqual(wantedClaimOwners(s('Delete', 'Delete'), p(3)), { set: false, pod: true });
  });
});
