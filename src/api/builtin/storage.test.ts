import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { persistentvolumeclaims, persistentvolumes, storageclasses } from './storage.js';

const now = new Date('2026-01-01T00:01:00Z');
const meta = (name: string, extra: any = {}) => ({ name, creationTimestamp: '2026-01-01T00:00:00Z', ...extra });

describe('storage kinds', () => {
  it('prints PersistentVolumes as upstream (claim ns/name, Terminating, <unset> attributes class)', () => {
    const pv = { metadata: meta('pv1'), spec: { capacity: { storage: '2Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual', claimRef: { namespace: 'default', name: 'c' } }, status: { phase: 'Bound' } };
    assert.deepEqual(persistentvolumes.columns.map((c) => c.name), ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode']);
    assert.deepEqual(persistentvolumes.row(pv, now).slice(0, 10), ['pv1', '2Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/c', 'manual', '<unset>', '', '60s']);
    assert.equal(persistentvolumes.row({ ...pv, metadata: meta('pv1', { deletionTimestamp: 'x' }) }, now)[4], 'Terminating');
  });
  it('prints a claim\'s capacity and modes only once it names a volume', () => {
    const pending = { metadata: meta('c'), spec: { storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
    assert.deepEqual(persistentvolumeclaims.row(pending, now).slice(0, 8), ['c', 'Pending', '', '', '', 'local-path', '<unset>', '60s']);
    const bound = { ...pending, spec: { ...pending.spec, volumeName: 'pv1' }, status: { phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] } };
    assert.deepEqual(persistentvolumeclaims.row(bound, now).slice(0, 6), ['c', 'Bound', 'pv1', '2Gi', 'RWO', 'local-path']);
  });
  it('marks the default StorageClass and defaults reclaimPolicy and volumeBindingMode', () => {
    const sc: any = { metadata: meta('fast', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'example.com/x' };
    storageclasses.defaults!(sc);
    assert.deepEqual(storageclasses.row(sc, now), ['fast (default)', 'example.com/x', 'Delete', 'Immediate', 'false', '60s']);
  });
  it('validates a PersistentVolume: one source, capacity, access modes, local needs node affinity', () => {
    const errs = persistentvolumes.validate!({ metadata: meta('x'), spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, local: { path: '/mnt' } } }, { operation: 'create' });
    assert.deepEqual(errs.map((e) => `${e.field}: ${e.detail}`), ['spec.nodeAffinity: Local volume requires node affinity']);
    const two = persistentvolumes.validate!({ metadata: meta('x'), spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/a' }, nfs: { server: 's', path: '/' } } }, { operation: 'create' });
    assert.deepEqual(two.map((e) => `${e.field}: ${e.detail}`), ['spec.nfs: may not specify more than 1 volume type']);
  });
  it('lets the binder fill volumeName and a missing class into a claim, nothing else', () => {
    const old = { metadata: meta('c'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    assert.deepEqual(persistentvolumeclaims.validate!({ ...old, spec: { ...old.spec, volumeName: 'pv1', storageClassName: 'x' } }, { operation: 'update', old }), []);
    const changed = persistentvolumeclaims.validate!({ ...old, spec: { ...old.spec, accessModes: ['ReadWriteMany'] } }, { operation: 'update', old });
    assert.equal(changed[0]?.field, 'spec');
  });
});
