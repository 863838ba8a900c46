import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, isAlreadyExists } from '../../client/rest.js';
import { revisionData, templateHash } from '../common/revisions.js';
import { cleanupHistory, constructHistory, type HistoryDeps } from './history.js';

const template = (image: string) => ({ metadata: { labels: { app: 'd', tier: 'node' } }, spec: { containers: [{ name: 'c', image }] } });
const dsOf = (image: string, collisionCount?: number) =>
  Object.freeze({
    metadata: { name: 'd', namespace: 'ns', uid: 'ds-uid', annotations: { 'kubernetes.io/change-cause': 'because' } },
    spec: { selector: { matchLabels: { app: 'd' } }, template: template(image), revisionHistoryLimit: 10 },
    status: collisionCount === undefined ? {} : { collisionCount },
  });
const ownedBy = (uid: string) => [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', uid, controller: true }];
const rev = (name: string, image: string, revision: number, uid = 'ds-uid') => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'd', 'controller-revision-hash': name.slice(2) }, ownerReferences: uid ? ownedBy(uid) : undefined },
  data: revisionData(template(image)),
  revision,
});

/** An API server of revisions (by name) and one DaemonSet; the cache is whatever the test lists. */
function fixture(o: { server?: any[]; cached?: any[]; liveCollisionCount?: number; pods?: any[] } = {}) {
  const server = new Map<string, any>((o.server ?? []).map((r) => [r.metadata.name, r]));
  const statusWrites: any[] = [];
  const podPatches: [string, any][] = [];
  const patches: [string, any][] = [];
  const d: HistoryDeps = {
    revisions: {
      create: async (r: any) => {
        if (server.has(r.metadata.name)) throw new StatusError(409, 'AlreadyExists', `controllerrevisions.apps "${r.metadata.name}" already exists`);
        server.set(r.metadata.name, r);
        return r;
      },
      get: async (_ns: string, name: string) => server.get(name),
      patch: async (_ns: string, name: string, _t: string, p: any) => {
        patches.push([name, p]);
        const was = server.get(name);
        const r = { ...was, ...p, metadata: { ...was.metadata, ...p.metadata } };
        server.set(name, r);
        return r;
      },
      delete: async (_ns: string, name: string) => void server.delete(name),
    } as any,
    daemonsets: {
      get: async () => ({ ...dsOf('x'), status: { collisionCount: o.liveCollisionCount } }),
      updateStatus: async (x: any) => (statusWrites.push(x.status), x),
    } as any,
    pods: { patch: async (_ns: string, name: string, _t: string, p: any) => void podPatches.push([name, p]) } as any,
    listRevisions: () => o.cached ?? [...server.values()],
    listPods: () => o.pods ?? [],
  };
  return { d, server, statusWrites, podPatches, patches };
}

describe('DaemonSet history', () => {
  it('snapshots the template as revision 1, named by its hash, labelled with the template labels and the DaemonSet annotations', async () => {
    const f = fixture();
    const h = await constructHistory(f.d, dsOf('a'));
    const hash = templateHash(template('a'), 0);
    assert.equal(h.hash, hash);
    assert.equal(h.cur.metadata.name, `d-${hash}`);
    assert.equal(h.cur.revision, 1);
    assert.deepEqual(h.cur.metadata.labels, { app: 'd', tier: 'node', 'controller-revision-hash': hash });
    assert.deepEqual(h.cur.metadata.annotations, { 'kubernetes.io/change-cause': 'because' });
    assert.deepEqual(h.old, []);
  });

  it('on a hash collision bumps status.collisionCount once and fails; the retry takes a new name', async () => {
    const hash0 = templateHash(template('a'), 0);
    // Another template already holds the name (someone else's revision, so not in our cache).
    const f = fixture({ server: [rev(`d-${hash0}`, 'other', 1, 'someone-else')], cached: [], liveCollisionCount: undefined });
    await assert.rejects(constructHistory(f.d, dsOf('a')), isAlreadyExists);
    assert.deepEqual(f.statusWrites, [{ collisionCount: 1 }]);

    const h = await constructHistory(f.d, dsOf('a', 1));
    const hash1 = templateHash(template('a'), 1);
    assert.notEqual(hash1, hash0);
    assert.equal(h.hash, hash1);
    assert.equal(h.cur.metadata.name, `d-${hash1}`);
    assert.equal(f.statusWrites.length, 1);
  });

  it('does not bump a collision count that the cached DaemonSet has not caught up with', async () => {
    const hash0 = templateHash(template('a'), 0);
    const f = fixture({ server: [rev(`d-${hash0}`, 'other', 1, 'someone-else')], cached: [], liveCollisionCount: 1 });
    await assert.rejects(constructHistory(f.d, dsOf('a')), /found a stale collision count \(0, expected 1\) of DaemonSet "d"/);
    assert.deepEqual(f.statusWrites, []);
  });

  it('takes its own earlier create that the cache has not seen yet', async () => {
    const first = fixture();
    const made = (await constructHistory(first.d, dsOf('a'))).cur;
    const f = fixture({ server: [made], cached: [] });
    const h = await constructHistory(f.d, dsOf('a'));
    assert.equal(h.cur.metadata.name, made.metadata.name);
    assert.deepEqual(f.statusWrites, []);
  });

  it('finds the current revision by content, and renumbers it as the newest on a rollback', async () => {
    const f = fixture({ server: [rev('d-aaa', 'a', 1), rev('d-bbb', 'b', 2)] });
    const h = await constructHistory(f.d, dsOf('a'));
    assert.equal(h.hash, 'aaa');
    assert.equal(h.cur.revision, 3);
    assert.deepEqual(
      h.old.map((r) => r.metadata.name),
      ['d-bbb'],
    );
  });

  it('adopts an orphan revision its selector matches, and leaves alone one it does not', async () => {
    const stranger = { ...rev('d-zzz', 'a', 5, ''), metadata: { ...rev('d-zzz', 'a', 5, '').metadata, labels: { app: 'other' } } };
    const f = fixture({ server: [rev('d-aaa', 'a', 1, ''), stranger] });
    const h = await constructHistory(f.d, dsOf('a'));
    assert.equal(h.hash, 'aaa');
    assert.deepEqual(
      f.patches.map(([name, p]) => [name, p.metadata.ownerReferences.map((r: any) => r.uid)]),
      [['d-aaa', ['ds-uid']]],
    );
  });

  it('keeps the newest of duplicate current revisions, relabelling the pods of the others', async () => {
    const pod = (name: string, hash: string, uid = 'ds-uid') => ({ metadata: { name, namespace: 'ns', labels: { 'controller-revision-hash': hash }, ownerReferences: ownedBy(uid) } });
    const pods = [pod('p1', 'aaa'), pod('p2', 'bbb'), pod('p3', 'aaa', 'another-ds')];
    const f = fixture({ server: [rev('d-aaa', 'a', 1), rev('d-ccc', 'a', 2), rev('d-bbb', 'b', 3)], pods });
    const h = await constructHistory(f.d, dsOf('a'));
    assert.equal(h.hash, 'ccc');
    assert.equal(h.cur.revision, 4);
    assert.deepEqual(f.podPatches, [['p1', { metadata: { labels: { 'controller-revision-hash': 'ccc' } } }]]);
    assert.deepEqual([...f.server.keys()].sort(), ['d-bbb', 'd-ccc']);
  });

  it('cleans up old revisions beyond the limit, oldest first, sparing those live pods run', async () => {
    const old = [rev('d-r1', '1', 1), rev('d-r2', '2', 2), rev('d-r3', '3', 3), rev('d-r4', '4', 4)];
    const f = fixture({ server: old });
    const ds = { ...dsOf('5'), spec: { ...dsOf('5').spec, revisionHistoryLimit: 2 } };
    await cleanupHistory(f.d, ds, old, [{ metadata: { labels: { 'controller-revision-hash': 'r1' } } }]);
    assert.deepEqual([...f.server.keys()].sort(), ['d-r1', 'd-r4']);
  });
});
