/**
 * Storage admission plugins, as kube-apiserver's defaults:
 * - DefaultStorageClass: a new PersistentVolumeClaim that names no class (storageClassName
 *   unset — an explicit "" means "no class" and is kept) gets the default StorageClass,
 *   the newest one when several carry storageclass.kubernetes.io/is-default-class=true;
 * - StorageObjectInUseProtection: every new claim gets the kubernetes.io/pvc-protection
 *   finalizer and every new volume kubernetes.io/pv-protection, which the protection
 *   controllers remove once nothing uses the object.
 */
import type { Registry } from '../../api/registry.js';
import { BETA_STORAGE_CLASS, isDefaultClass, PV_PROTECTION, PVC_PROTECTION } from '../../api/builtin/storage.js';
import type { ObjectStore } from '../object-store.js';
import { decode, keyPrefix } from '../object-store.js';

export { PV_PROTECTION, PVC_PROTECTION };

export async function admitStorage(reg: Registry, store: ObjectStore, plural: string, obj: any): Promise<void> {
  if (plural === 'persistentvolumeclaims') {
    await defaultStorageClass(reg, store, obj);
    addFinalizer(obj, PVC_PROTECTION);
  } else if (plural === 'persistentvolumes') addFinalizer(obj, PV_PROTECTION);
}

function addFinalizer(obj: any, f: string): void {
  const m = obj.metadata;
  if (!(m.finalizers ?? []).includes(f)) m.finalizers = [...(m.finalizers ?? []), f];
}

async function defaultStorageClass(reg: Registry, store: ObjectStore, pvc: any): Promise<void> {
  const spec = (pvc.spec ??= {});
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  if (pvc.metadata?.annotations?.[BETA_STORAGE_CLASS] !== undefined) return;
  const def = reg.lookup('storage.k8s.io', 'v1', 'storageclasses');
  if (!def) return;
  const all = (await store.backend.list(keyPrefix(def))).kvs.map(decode).filter(isDefaultClass);
  if (!all.length) return;
  // Several defaults: the newest wins (then the name, for a stable choice), as upstream since 1.28.
  all.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
  spec.storageClassName = all[0].metadata.name;
}
