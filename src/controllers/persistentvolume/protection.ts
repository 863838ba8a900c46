/**
 * The pvc-protection and pv-protection controllers: a deleted PersistentVolumeClaim keeps
 * its kubernetes.io/pvc-protection finalizer (and so stays Terminating) while a pod that is
 * not finished uses it; a deleted PersistentVolume keeps kubernetes.io/pv-protection while
 * it is Bound to a claim. The cache may lag behind a pod just created, so before letting a
 * claim go its namespace's pods are listed from the API, as upstream's askAPIServer.
 */
import { PV_PROTECTION, PVC_PROTECTION } from '../../api/builtin/storage.js';
import type { ResourceClient } from '../../client/resource.js';
import { isConflict, isNotFound } from '../../client/rest.js';

/** Whether a pod (not yet Succeeded or Failed) mounts the claim, directly or as its generic ephemeral volume. */
export function podUsesClaim(pod: any, claimName: string): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return (pod.spec?.volumes ?? []).some((v: any) => v.persistentVolumeClaim?.claimName === claimName || (v.ephemeral && `${pod.metadata.name}-${v.name}` === claimName));
}

/** The claims a pod uses (for waking their protection when the pod changes). */
export function claimNamesOf(pod: any): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v: any) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${pod.metadata.name}-${v.name}`] : []));
}

async function removeFinalizer(client: ResourceClient, obj: any, finalizer: string): Promise<void> {
  const finalizers = (obj.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
  try {
    // The resourceVersion makes this a compare-and-swap on the list of finalizers.
    await client.patch(obj.metadata.namespace, obj.metadata.name, 'merge', { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers } });
  } catch (err) {
    if (isNotFound(err)) return;
    if (isConflict(err)) throw new Error('object changed; retrying', { cause: err });
    throw err;
  }
}

export interface ProtectionDeps {
  pvcs: ResourceClient;
  pvs: ResourceClient;
  pods: ResourceClient;
  cachedPods(namespace: string): readonly any[];
}

export async function syncClaimProtection(d: ProtectionDeps, pvc: any | undefined): Promise<void> {
  if (!pvc?.metadata.deletionTimestamp || !(pvc.metadata.finalizers ?? []).includes(PVC_PROTECTION)) return;
  const ns = pvc.metadata.namespace;
  const name = pvc.metadata.name;
  if (d.cachedPods(ns).some((p) => podUsesClaim(p, name))) return;
  const live = await d.pods.list(ns);
  if (live.items.some((p: any) => podUsesClaim(p, name))) return;
  await removeFinalizer(d.pvcs, pvc, PVC_PROTECTION);
}

export async function syncVolumeProtection(d: ProtectionDeps, pv: any | undefined): Promise<void> {
  if (!pv?.metadata.deletionTimestamp || !(pv.metadata.finalizers ?? []).includes(PV_PROTECTION)) return;
  if (pv.status?.phase === 'Bound') return;
  await removeFinalizer(d.pvs, pv, PV_PROTECTION);
}
