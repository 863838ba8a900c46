import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError } from '../../client/rest.js';
import { silentLogger } from '../../util/log.js';
import { CleanupPendingError } from './binder.js';
import { ANN_LOCAL_PATH_NODE, helperPodName, LocalPathProvisioner } from './local-path.js';

/** A ResourceClient over a map (get/create/delete), with the API's 404 and 409. */
function fakeClient() {
  const objs = new Map<string, any>();
  const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  return {
    objs,
    async get(ns: string | undefined, name: string) {
      const o = objs.get(key(ns, name));
      if (!o) throw new StatusError(404, 'NotFound', `"${name}" not found`);
      return structuredClone(o);
    },
    async create(o: any) {
      const k = key(o.metadata.namespace, o.metadata.name);
      if (objs.has(k)) throw new StatusError(409, 'AlreadyExists', 'exists');
      objs.set(k, structuredClone(o));
      return o;
    },
    async delete(ns: string | undefined, name: string) {
      if (!objs.delete(key(ns, name))) throw new StatusError(404, 'NotFound', `"${name}" not found`);
      return {};
    },
  };
}

function setup(local: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-localpath-'));
  const pvs = fakeClient();
  const pods = fakeClient();
  const p = new LocalPathProvisioner({ pvs: pvs as any, pods: pods as any, dir, node: () => ({ metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } }), isLocalNode: () => local, log: silentLogger });
  return { dir, pvs, pods, p };
}

const claim = { metadata: { name: 'data', namespace: 'ns', uid: 'u1', resourceVersion: '5' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
const sc = { metadata: { name: 'local-path' }, reclaimPolicy: 'Delete' };

describe('local-path provisioner', () => {
  it('provisions a hostPath volume on the selected node, pre-bound to the claim', async () => {
    const { dir, pvs, p } = setup(true);
    await p.provision(claim, sc, 'n1');
    const pv = pvs.objs.get('/pvc-u1');
    assert.equal(pv.spec.hostPath.path, join(dir, 'pvc-u1_ns_data'));
    assert.equal(pv.spec.hostPath.type, 'DirectoryOrCreate');
    assert.deepEqual(pv.spec.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'ns', name: 'data', uid: 'u1', resourceVersion: '5' });
    assert.equal(pv.metadata.annotations[ANN_LOCAL_PATH_NODE], 'n1');
    const other = (uid: string, spec: any = {}) => ({ metadata: { ...claim.metadata, uid }, spec: { ...claim.spec, ...spec } });
    await assert.rejects(p.provision(other('u2'), sc, undefined), /^Error: configuration error, no node was specified$/);
    await assert.rejects(p.provision(other('u3', { accessModes: ['ReadWriteMany'] }), sc, 'n1'), /^Error: NodePath only supports ReadWriteOnce and ReadWriteOncePod \(1\.22\+\) access modes$/);
    assert.equal(pvs.objs.size, 1);
    rmSync(dir, { recursive: true });
  });

  it('on a node of this process, removes the directory itself and then the volume', async () => {
    const { dir, pvs, p } = setup(true);
    await p.provision(claim, sc, 'n1');
    const pv = pvs.objs.get('/pvc-u1');
    mkdirSync(pv.spec.hostPath.path);
    writeFileSync(join(pv.spec.hostPath.path, 'f'), 'x');
    await p.delete(pv);
    assert.ok(!existsSync(pv.spec.hostPath.path));
    assert.ok(existsSync(dir), 'only the volume\'s directory');
    assert.equal(pvs.objs.size, 0);
    rmSync(dir, { recursive: true });
  });

  it('never removes a path outside the storage directory', async () => {
    const { dir, pvs, p } = setup(true);
    const outside = mkdtempSync(join(tmpdir(), 'skiff-outside-'));
    const pv = { metadata: { name: 'evil', annotations: { [ANN_LOCAL_PATH_NODE]: 'n1' } }, spec: { hostPath: { path: outside } } };
    await pvs.create(pv);
    await p.delete(pv);
    assert.ok(existsSync(outside));
    rmSync(outside, { recursive: true });
    rmSync(dir, { recursive: true });
  });

  it('on a remote node, has a helper pod on that node remove it, and deletes the volume once it Succeeded', async () => {
    const { dir, pvs, pods, p } = setup(false);
    await p.provision(claim, sc, 'n1');
    const pv = pvs.objs.get('/pvc-u1');
    await assert.rejects(p.delete(pv), CleanupPendingError);
    const helper = pods.objs.get(`kube-system/${helperPodName('pvc-u1')}`);
    assert.equal(helper.spec.nodeName, 'n1');
    assert.deepEqual(helper.spec.containers[0].command, ['rm', '-rf', join(dir, 'pvc-u1_ns_data')]);
    assert.deepEqual(helper.spec.volumes[0].hostPath, { path: dir, type: 'DirectoryOrCreate' });
    assert.equal(pvs.objs.size, 1, 'the volume stays while the helper runs');
    helper.status = { phase: 'Running' };
    await assert.rejects(p.delete(pv), CleanupPendingError);
    helper.status = { phase: 'Failed' };
    await assert.rejects(p.delete(pv), (e: any) => !(e instanceof CleanupPendingError) && /failed/.test(e.message));
    assert.equal(pods.objs.size, 0, 'a failed helper is removed, to be tried again');
    await assert.rejects(p.delete(pv), CleanupPendingError);
    pods.objs.get(`kube-system/${helperPodName('pvc-u1')}`).status = { phase: 'Succeeded' };
    await p.delete(pv);
    assert.equal(pods.objs.size, 0);
    assert.equal(pvs.objs.size, 0);
    rmSync(dir, { recursive: true });
  });
});
