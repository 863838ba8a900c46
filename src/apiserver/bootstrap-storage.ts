/**
 * k3s's `local-storage` manifest: the default StorageClass `local-path` of the built-in
 * local-path provisioner (rancher.io/local-path), WaitForFirstConsumer and reclaim Delete.
 * Created at server start when missing; a class the user changed is left alone.
 */
import type { Registry } from '../api/registry.js';
import { DEFAULT_CLASS_ANNOTATION } from '../api/builtin/storage.js';
import { ApiError } from './errors.js';
import type { ObjectStore } from './object-store.js';

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const LOCAL_PATH_CLASS = 'local-path';

export async function bootstrapLocalPathStorageClass(reg: Registry, store: ObjectStore, now: Date = new Date()): Promise<void> {
  const def = reg.lookup('storage.k8s.io', 'v1', 'storageclasses');
  if (!def || (await store.tryGet(def, undefined, LOCAL_PATH_CLASS))) return;
  const obj: any = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, uid: crypto.randomUUID(), creationTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'), annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
  def.defaults?.(obj);
  try {
    await store.create(def, obj);
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}
