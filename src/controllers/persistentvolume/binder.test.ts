import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../client/rest.js';
import { syncClaim, syncVolume, type BinderDeps } from './binder.js';

/** JSON merge patch (RFC 7386): objects merge, null deletes, anything else replaces. */
function merge(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/** A ResourceClient over a map: get, merge patch (resourceVersion as precondition), delete. */
function fakeClient(kind: string) {
  const objs = new Map<string, any>();
  let rv = 1;
  const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  const c = {
    objs,
    put(o: any) {
      o.metadata.resourceVersion = String(rv++);
      objs.set(key(o.metadata.namespace, o.metadata.name), o);
      return o;
    },
    async get(ns: string | undefined, name: string) {
      const o = objs.get(key(ns, name));
      if (!o) throw new StatusError(404, 'NotFound', `${kind} "${name}" not found`);
      return structuredClone(o);
    },
    async patch(ns: string | undefined, name: string, _t: string, p: any) {
      const o = objs.get(key(ns, name));
      if (!o) throw new StatusError(404, 'NotFound', `${kind} "${name}" not found`);
      if (p.metadata?.resourceVersion && p.metadata.resourceVersion !== o.metadata.resourceVersion) throw new StatusError(409, 'Conflict', 'the object has been modified');
      const { resourceVersion: _rv, ...meta } = p.metadata ?? {};
      return structuredClone(c.put(merge(o, { ...p, metadata: meta })));
    },
    async delete(ns: string | undefined, name: string) {
      objs.delete(key(ns, name));
      return {};
    },
  };
  return c;
}

function world() {
  const pvs = fakeClient('persistentvolumes');
  const pvcs = fakeClient('persistentvolumeclaims');
  const events: string[] = [];
  const queued: string[] = [];
  const d: BinderDeps = {
    pvs: pvs as any,
    pvcs: pvcs as any,
    volumes: () => [...pvs.objs.values()],
    volume: (n) => pvs.objs.get(`/${n}`),
    claim: (ns, n) => pvcs.objs.get(`${ns}/${n}`),
    storageClass: () => undefined,
    defaultClass: () => undefined,
    node: () => undefined,
    provisioners: new Map(),
    recorder: { event: (_o: any, type: string, reason: string, msg: string) => events.push(`${type} ${reason} ${msg}`) } as any,
    enqueueClaim: (ns, n) => queued.push(`${ns}/${n}`),
    now: () => Date.parse('2026-01-01T00:00:00Z'),
  };
  const pv = (name: string, o: any = {}) => pvs.put({ metadata: { name, annotations: o.annotations }, spec: { capacity: { storage: o.size ?? '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: o.policy ?? 'Retain', hostPath: { path: `/tmp/${name}` }, ...(o.claimRef ? { claimRef: o.claimRef } : {}) }, status: { phase: o.phase ?? 'Available' } });
  const pvc = (name: string, o: any = {}) => pvcs.put({ metadata: { name, namespace: 'ns', uid: `uid-${name}` }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.size ?? '1Gi' } }, storageClassName: '', ...(o.volumeName ? { volumeName: o.volumeName } : {}) }, status: { phase: o.phase ?? 'Pending' } });
  return { d, pvs, pvcs, events, queued, pv, pvc };
}

describe('persistent volume binder', () => {
  it('binds a claim to a volume both ways, with upstream\'s annotations', async () => {
    const w = world();
    w.pv('v1');
    await syncClaim(w.d, w.pvc('c1'));
    const pv = w.pvs.objs.get('/v1');
    const pvc = w.pvcs.objs.get('ns/c1');
    assert.deepEqual([pv.spec.claimRef.name, pv.spec.claimRef.uid, pv.status.phase, pv.metadata.annotations['pv.kubernetes.io/bound-by-controller']], ['c1', 'uid-c1', 'Bound', 'yes']);
    assert.deepEqual([pvc.spec.volumeName, pvc.status.phase, pvc.status.capacity, pvc.metadata.annotations], ['v1', 'Bound', { storage: '1Gi' }, { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' }]);
    assert.deepEqual(w.events, [], 'binding records no event, as upstream');
  });

  it('without a volume or a class: FailedBinding, the claim stays Pending', async () => {
    const w = world();
    await syncClaim(w.d, w.pvc('c1'));
    assert.equal(w.pvcs.objs.get('ns/c1').status.phase, 'Pending');
    assert.deepEqual(w.events, ['Normal FailedBinding no persistent volumes available for this claim and no storage class is set']);
  });

  it('a bound claim whose volume is gone is Lost', async () => {
    const w = world();
    await syncClaim(w.d, w.pvc('c1', { volumeName: 'gone', phase: 'Bound' }));
    assert.equal(w.pvcs.objs.get('ns/c1').status.phase, 'Lost');
    assert.deepEqual(w.events, ['Warning ClaimLost Bound claim has lost reference to PersistentVolume. Data on the volume is lost!']);
  });

  it('a claim naming a volume bound to another claim is Lost (ClaimMisbound)', async () => {
    const w = world();
    w.pv('v1', { phase: 'Bound', claimRef: { namespace: 'ns', name: 'other', uid: 'uid-other' } });
    await syncClaim(w.d, w.pvc('c1', { volumeName: 'v1', phase: 'Bound' }));
    assert.equal(w.pvcs.objs.get('ns/c1').status.phase, 'Lost');
    assert.match(w.events[0], /ClaimMisbound/);
  });

  it('a volume whose claim is gone is Released; Retain keeps it, Delete without a deleter fails, Recycle fails', async () => {
    const w = world();
    const ref = (n: string) => ({ namespace: 'ns', name: n, uid: `uid-${n}` });
    await syncVolume(w.d, w.pv('keep', { phase: 'Bound', claimRef: ref('a') }));
    assert.equal(w.pvs.objs.get('/keep').status.phase, 'Released');
    await syncVolume(w.d, w.pv('del', { phase: 'Bound', policy: 'Delete', claimRef: ref('b') }));
    assert.deepEqual([w.pvs.objs.get('/del').status.phase, w.pvs.objs.get('/del').status.reason], ['Failed', 'VolumeFailedDelete']);
    await syncVolume(w.d, w.pv('rec', { phase: 'Bound', policy: 'Recycle', claimRef: ref('c') }));
    assert.deepEqual([w.pvs.objs.get('/rec').status.phase, w.pvs.objs.get('/rec').status.message], ['Failed', 'No recycler plugin found for the volume!']);
  });

  it('a volume pre-bound by a user (claimRef without uid) stays Available and wakes its claim, which then takes it', async () => {
    const w = world();
    w.pv('small', { size: '1Gi' });
    const mine = w.pv('mine', { size: '5Gi', claimRef: { namespace: 'ns', name: 'c1' } });
    await syncVolume(w.d, mine);
    assert.deepEqual(w.queued, ['ns/c1']);
    await syncClaim(w.d, w.pvc('c1'));
    assert.equal(w.pvcs.objs.get('ns/c1').spec.volumeName, 'mine');
    assert.equal(w.pvs.objs.get('/mine').metadata.annotations, undefined, 'not bound-by-controller: the user chose it');
  });

  it('undoes its half of a binding when the claim ended up with another volume', async () => {
    const w = world();
    w.pvc('c1', { volumeName: 'other', phase: 'Bound' });
    await syncVolume(w.d, w.pv('v1', { phase: 'Bound', annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' }, claimRef: { namespace: 'ns', name: 'c1', uid: 'uid-c1' } }));
    assert.equal(w.pvs.objs.get('/v1').spec.claimRef, undefined);
    await syncVolume(w.d, w.pvs.objs.get('/v1'));
    assert.equal(w.pvs.objs.get('/v1').status.phase, 'Available');
  });
});
