import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectReplicaSetsToCleanup } from './history.js';
import {
  computeHash,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  fnv32a,
  maxRevision,
  newReplicaSetFor,
  SAFE_ALPHANUMS,
  safeEncodeString,
  setNewReplicaSetAnnotations,
} from './revision.js';
import { dep, rs } from './test-fixtures.js';
import type { ReplicaSet } from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('pod-template-hash', () => {
  it('FNV-32a matches the reference vectors', () => {
    assert.equal(fnv32a(enc('')), 0x811c9dc5);
    assert.equal(fnv32a(enc('a')), 0xe40c292c);
    assert.equal(fnv32a(enc('foobar')), 0xbf9cf968);
  });
  it('SafeEncodeString maps decimal digits into the safe alphabet', () => {
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });
  it('is short, from the safe alphabet, and stable under key order and nulls', () => {
    const t1 = { metadata: { labels: { app: 'web', tier: 'x' }, creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: {} }] } };
    const t2 = { spec: { containers: [{ image: 'busybox:1.36', name: 'c' }] }, metadata: { labels: { tier: 'x', app: 'web' } } };
    const h = computeHash(t1 as any);
    assert.equal(h, computeHash(t2 as any));
    assert.match(h, new RegExp(`^[${SAFE_ALPHANUMS}]{1,10}$`));
    assert.notEqual(h, computeHash({ ...t2, spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } as any));
  });
  it('changes with collisionCount, and count 0 differs from no count (as upstream)', () => {
    const t = dep(1).spec.template;
    const hs = new Set([computeHash(t), computeHash(t, 0), computeHash(t, 1), computeHash(t, 2)]);
    assert.equal(hs.size, 4);
  });
  it('names the new ReplicaSet <deployment>-<hash> with the hash in labels, template and selector', () => {
    const d = dep(3);
    const r = newReplicaSetFor(d);
    const h = computeHash(d.spec.template);
    assert.equal(r.metadata.name, `web-${h}`);
    assert.equal(r.metadata.labels!['pod-template-hash'], h);
    assert.equal(r.spec.template!.metadata!.labels!['pod-template-hash'], h);
    assert.deepEqual(r.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': h } });
    assert.deepEqual(r.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'dep-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(d.spec.template.metadata!.labels!['pod-template-hash'], undefined, 'the Deployment template is not touched');
  });
});

describe('new and old ReplicaSets', () => {
  it('compares templates ignoring pod-template-hash; the oldest match is the new one', () => {
    const d = dep(3);
    const a = newReplicaSetFor(d);
    assert.equal(equalIgnoreHash(a.spec.template, d.spec.template), true);
    const mk = (name: string, created: string, image: string): ReplicaSet => ({
      metadata: { name, uid: name, creationTimestamp: created },
      spec: { replicas: 1, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image }] } } },
    });
    const list = [mk('b', '2026-01-02T00:00:00Z', 'busybox:1.36'), mk('a', '2026-01-01T00:00:00Z', 'busybox:1.36'), mk('c', '2026-01-03T00:00:00Z', 'busybox:1.37')];
    assert.equal(findNewReplicaSet(d, list)!.metadata.name, 'a');
    const { all, required } = findOldReplicaSets(d, [...list, { ...mk('z', '2026-01-04T00:00:00Z', 'x'), spec: { replicas: 0, template: {} } }]);
    assert.deepEqual(all.map((r) => r.metadata.name).sort(), ['b', 'c', 'z']);
    assert.deepEqual(required.map((r) => r.metadata.name).sort(), ['b', 'c']);
  });
});

describe('revisions', () => {
  it('a created ReplicaSet gets max old revision + 1, the replicas annotations and the Deployment annotations', () => {
    const d = dep(10, 3, 2);
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '7' };
    const olds = [rs('o1', 0, 0, { annotations: { 'deployment.kubernetes.io/revision': '2' } }), rs('o2', 0, 0, { annotations: { 'deployment.kubernetes.io/revision': '5' } })];
    const r = newReplicaSetFor(d);
    setNewReplicaSetAnnotations(d, r, maxRevision(olds) + 1, false);
    assert.deepEqual(r.metadata.annotations, {
      'kubernetes.io/change-cause': 'kubectl set image',
      'deployment.kubernetes.io/revision': '6',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13',
    });
  });
  it('an old ReplicaSet brought back (rollout undo) takes the next revision and keeps its old ones in revision-history', () => {
    const d = dep(3);
    const back = rs('back', 0, 0, { annotations: { 'deployment.kubernetes.io/revision': '1' } });
    assert.equal(setNewReplicaSetAnnotations(d, back, 4, true), true);
    assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision'], '4');
    assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
    setNewReplicaSetAnnotations(d, back, 6, true);
    assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1,4');
    // Already the highest: nothing changes.
    assert.equal(setNewReplicaSetAnnotations(d, back, 3, true), false);
    assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision'], '6');
  });
  it('revision-history is capped at 2000 characters by dropping the oldest entries', () => {
    const d = dep(1);
    const long = Array.from({ length: 400 }, (_, i) => String(10000 + i)).join(','); // 2399 chars
    const r = rs('r', 0, 0, { annotations: { 'deployment.kubernetes.io/revision': '99999', 'deployment.kubernetes.io/revision-history': long } });
    setNewReplicaSetAnnotations(d, r, 100000, true);
    const h = r.metadata.annotations!['deployment.kubernetes.io/revision-history'];
    assert.ok(h.length <= 2000);
    assert.ok(h.endsWith(',99999'));
  });
});

describe('history cleanup (revisionHistoryLimit)', () => {
  const rev = (name: string, revision: number, replicas = 0, extra: Partial<ReplicaSet['metadata']> = {}) => {
    const r = rs(name, replicas, replicas, { annotations: { 'deployment.kubernetes.io/revision': String(revision) } });
    Object.assign(r.metadata, extra);
    return r;
  };
  it('deletes the oldest revisions beyond the limit', () => {
    const olds = [rev('r3', 3), rev('r1', 1), rev('r5', 5), rev('r2', 2), rev('r4', 4)];
    assert.deepEqual(selectReplicaSetsToCleanup(olds, 2).map((r) => r.metadata.name), ['r1', 'r2', 'r3']);
    assert.deepEqual(selectReplicaSetsToCleanup(olds, 10), []);
    assert.deepEqual(selectReplicaSetsToCleanup(olds, 0).length, 5);
  });
  it('spares ReplicaSets with replicas or pods, unobserved specs, and ones already being deleted', () => {
    const busy = rev('r1', 1, 2);
    const pods = rev('r2', 2);
    pods.status!.replicas = 1;
    const unobserved = rev('r3', 3, 0, { generation: 5 });
    const dying = rev('r0', 0, 0, { deletionTimestamp: '2026-01-01T00:00:00Z' });
    const olds = [busy, pods, unobserved, rev('r4', 4), dying];
    // dying does not count; 4 alive - limit 1 = 3 candidates (r1, r2, r3), all spared
    assert.deepEqual(selectReplicaSetsToCleanup(olds, 1), []);
  });
});
