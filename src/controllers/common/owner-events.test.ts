import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectCache } from '../../client/cache.js';
import { Expectations } from './expectations.js';
import { ownerEventHandlers, ownerKeyHandlers, ownersSelecting, sameLabels, sameRef } from './owner-events.js';

const owner = (name: string, matchLabels: Record<string, string> | null, minReadySeconds?: number) =>
  Object.freeze({ metadata: { name, namespace: 'ns', uid: `uid-${name}` }, spec: { selector: matchLabels ? { matchLabels } : undefined, minReadySeconds } });
const ref = (name: string, kind = 'ReplicaSet', uid = `uid-${name}`) => ({ apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true });
const pod = (o: { rv?: string; labels?: Record<string, string>; refs?: any[]; deleting?: boolean; ready?: boolean } = {}) =>
  Object.freeze({
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-p', resourceVersion: o.rv ?? '1', labels: o.labels ?? { app: 'web' }, ownerReferences: o.refs, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: { conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }] },
  });

function setup(o: { expectations?: boolean; requeueOnReady?: boolean } = {}) {
  const owners = new ObjectCache<any>();
  owners.set(owner('web', { app: 'web' }, 5));
  owners.set(owner('web2', { app: 'web' }));
  owners.set(owner('api', { app: 'api' }));
  owners.set(owner('all', {}));
  owners.set(owner('none', null));
  const woken: string[] = [];
  const later: [string, number][] = [];
  const queue = { add: (k: string) => woken.push(k), addAfter: (k: string, ms: number) => later.push([k, ms]) };
  const expectations = o.expectations === false ? undefined : new Expectations(() => 0);
  const h = ownerEventHandlers({ kind: 'ReplicaSet', owners, queue, expectations, requeueOnReady: o.requeueOnReady });
  const drain = () => woken.splice(0).sort();
  return { h, drain, later, expectations: expectations! };
}

describe('owner routing of pod events', () => {
  it('an owned pod wakes only its owner and is the creation it awaited', () => {
    const { h, drain, expectations } = setup();
    expectations.expectCreations('ns/web', 1);
    h.onAdd(pod({ refs: [ref('web')] }));
    assert.deepEqual(drain(), ['ns/web']);
    assert.equal(expectations.satisfied('ns/web'), true);
  });

  it('a reference that no longer resolves (other uid, other kind, gone) wakes nobody and observes nothing', () => {
    const { h, drain, expectations } = setup();
    expectations.expectCreations('ns/web', 1);
    h.onAdd(pod({ refs: [ref('web', 'ReplicaSet', 'uid-old')] }));
    h.onAdd(pod({ refs: [ref('web', 'StatefulSet')] }));
    h.onAdd(pod({ refs: [ref('gone')] }));
    assert.deepEqual(drain(), []);
    assert.equal(expectations.satisfied('ns/web'), false);
  });

  it('an orphan wakes every owner whose non-empty selector matches; one without labels wakes none', () => {
    const { h, drain } = setup();
    h.onAdd(pod({ refs: [{ ...ref('web'), controller: false }] }));
    assert.deepEqual(drain(), ['ns/web', 'ns/web2']);
    h.onAdd(pod({ labels: {} }));
    assert.deepEqual(drain(), []);
  });

  it('a pod added already terminating is a deletion, never a creation', () => {
    const { h, drain, expectations } = setup();
    expectations.expect('ns/web', 1, ['ns/p']);
    h.onAdd(pod({ refs: [ref('web')], deleting: true }));
    assert.deepEqual(drain(), ['ns/web']);
    assert.equal(expectations.satisfied('ns/web'), false, 'the creation is still awaited');
    expectations.creationObserved('ns/web');
    assert.equal(expectations.satisfied('ns/web'), true);
  });

  it('a pod turning terminating counts as deleted; with its labels changed, the old owner observes it too', () => {
    const { h, drain, expectations } = setup();
    expectations.expectDeletions('ns/web', ['ns/p']);
    expectations.expectDeletions('ns/api', ['ns/p']);
    h.onUpdate(pod({ refs: [ref('api')], labels: { app: 'api' } }), pod({ rv: '2', refs: [ref('web')], deleting: true }));
    assert.deepEqual(drain(), ['ns/api', 'ns/web']);
    assert.equal(expectations.satisfied('ns/web'), true);
    assert.equal(expectations.satisfied('ns/api'), true);
  });

  it('without expectations (ReplicaSets under Deployments) a terminating update routes as any update', () => {
    const { h, drain } = setup({ expectations: false });
    h.onUpdate(pod({ refs: [ref('web')] }), pod({ rv: '2', deleting: true }));
    assert.deepEqual(drain(), ['ns/web', 'ns/web', 'ns/web2'], 'the former owner, and the owners that might adopt the orphan');
  });

  it('a changed controller reference wakes the previous and the new owner', () => {
    const { h, drain } = setup();
    h.onUpdate(pod({ refs: [ref('web2')] }), pod({ rv: '2', refs: [ref('web')] }));
    assert.deepEqual(drain(), ['ns/web', 'ns/web2']);
  });

  it('a released pod wakes its former owner and the owners selecting its new labels', () => {
    const { h, drain } = setup();
    h.onUpdate(pod({ refs: [ref('web')] }), pod({ rv: '2', labels: { app: 'api' } }));
    assert.deepEqual(drain(), ['ns/api', 'ns/web']);
  });

  it('an orphan update wakes selecting owners only when its labels or reference changed', () => {
    const { h, drain } = setup();
    h.onUpdate(pod(), pod({ rv: '2' }));
    assert.deepEqual(drain(), []);
    h.onUpdate(pod({ labels: { app: 'web', v: '1' } }), pod({ rv: '2' }));
    assert.deepEqual(drain(), ['ns/web', 'ns/web2']);
  });

  it('an update with the same resourceVersion (a resync) wakes nobody', () => {
    const { h, drain } = setup();
    h.onUpdate(pod({ refs: [ref('web')] }), pod({ refs: [ref('web')] }));
    assert.deepEqual(drain(), []);
  });

  it('a pod turning Ready wakes its owner again after minReadySeconds + 1 s when asked to', () => {
    const a = setup({ requeueOnReady: true });
    a.h.onUpdate(pod({ refs: [ref('web')] }), pod({ rv: '2', refs: [ref('web')], ready: true }));
    a.h.onUpdate(pod({ refs: [ref('web2')] }), pod({ rv: '2', refs: [ref('web2')], ready: true }));
    a.h.onUpdate(pod({ refs: [ref('web')], ready: true }), pod({ rv: '2', refs: [ref('web')], ready: true }));
    assert.deepEqual(a.drain(), ['ns/web', 'ns/web', 'ns/web2']);
    assert.deepEqual(a.later, [['ns/web', 6000]], 'web2 has no minReadySeconds; an already Ready pod is no transition');
    const b = setup();
    b.h.onUpdate(pod({ refs: [ref('web')] }), pod({ rv: '2', refs: [ref('web')], ready: true }));
    assert.deepEqual(b.later, []);
  });

  it('a deleted pod settles its owner; an orphan deletion wakes nobody', () => {
    const { h, drain, expectations } = setup();
    expectations.expectDeletions('ns/web', ['ns/p']);
    h.onDelete(pod());
    assert.deepEqual(drain(), []);
    h.onDelete(pod({ refs: [ref('web')] }));
    assert.deepEqual(drain(), ['ns/web']);
    assert.equal(expectations.satisfied('ns/web'), true);
  });
});

describe('owner routing helpers', () => {
  it('compare labels and references by content, not key order', () => {
    assert.equal(sameLabels({ a: '1', b: '2' }, { b: '2', a: '1' }), true);
    assert.equal(sameLabels({ a: '1' }, { a: '1', b: '2' }), false);
    assert.equal(sameLabels(undefined, {}), true);
    assert.equal(sameRef(undefined, undefined), true);
    assert.equal(sameRef(ref('a'), undefined), false);
    assert.equal(sameRef({ ...ref('a') }, ref('a')), true);
    assert.equal(sameRef(ref('a'), { ...ref('a'), uid: 'x' }), false);
  });

  it('an owner without a selector, or with an empty one, selects nothing', () => {
    const owners = new ObjectCache<any>();
    owners.set(owner('all', {}));
    owners.set(owner('none', null));
    assert.deepEqual(ownersSelecting(owners, pod()), []);
  });
});

describe('owner key handlers', () => {
  it('wake the owner on every event; a deleted or replaced owner starts with no expectations', () => {
    const woken: string[] = [];
    const expectations = new Expectations(() => 0);
    const h = ownerKeyHandlers({ add: (k) => woken.push(k) }, expectations);
    const a = owner('web', { app: 'web' });
    const b = { ...a, metadata: { ...a.metadata, uid: 'uid-new' } };
    h.onAdd(a);
    expectations.expectCreations('ns/web', 2);
    h.onUpdate(a, a);
    assert.equal(expectations.satisfied('ns/web'), false, 'an update of the same owner keeps them');
    h.onUpdate(a, b);
    assert.equal(expectations.satisfied('ns/web'), true, 'the same name with another uid is another owner');
    expectations.expectCreations('ns/web', 2);
    h.onDelete(b);
    assert.equal(expectations.satisfied('ns/web'), true);
    assert.deepEqual(woken, ['ns/web', 'ns/web', 'ns/web', 'ns/web']);
  });
});
