/**
 * persistentVolumeClaim volumes: claim → bound PersistentVolume → the directory on this
 * node. hostPath volumes go through the hostPath type check (a local-path volume's
 * directory is made here, on first mount, whichever node this is: mode 0777);
 * `local` volumes must already exist. A claim that is missing or not yet bound is not an
 * error of the volume but of the pod's wait for it (ClaimNotReadyError): the kubelet
 * reports "Unable to attach or mount volumes ..." and retries.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { PodConfigSource } from '../config-source.js';
import { checkHostPath } from './host-path.js';

export class ClaimNotReadyError extends Error {}

/** The claim a volume names: its own, or <pod>-<volume> for a generic ephemeral volume. */
export function claimOf(pod: any, vol: any): { claimName: string; readOnly: boolean; ephemeral: boolean } | undefined {
  if (vol.persistentVolumeClaim) return { claimName: vol.persistentVolumeClaim.claimName, readOnly: !!vol.persistentVolumeClaim.readOnly, ephemeral: false };
  if (vol.ephemeral) return { claimName: `${pod.metadata.name}-${vol.name}`, readOnly: false, ephemeral: true };
  return undefined;
}

export async function persistentVolumePath(pod: any, vol: any, source: PodConfigSource): Promise<{ path: string; readOnly: boolean }> {
  const ns = pod.metadata.namespace;
  const ref = claimOf(pod, vol)!;
  const claimName = ref.claimName;
  if (!source.getPersistentVolumeClaim || !source.getPersistentVolume) throw new Error('persistentVolumeClaim volumes are not supported on this node');
  const pvc = await source.getPersistentVolumeClaim(ns, claimName);
  if (!pvc) throw new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
  if (ref.ephemeral && !(pvc.metadata.ownerReferences ?? []).some((o: any) => o.uid === pod.metadata.uid && o.controller)) throw new Error(`PVC ${ns}/${claimName} was not created for pod ${ns}/${pod.metadata.name} (pod is not owner)`);
  if (pvc.metadata.deletionTimestamp) throw new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: can't start pod because PVC ${ns}/${claimName} is being deleted`);
  if (!pvc.spec?.volumeName || pvc.status?.phase !== 'Bound') throw new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: PVC is not bound`);
  const pv = await source.getPersistentVolume(pvc.spec.volumeName);
  if (!pv) throw new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: failed to fetch PV ${pvc.spec.volumeName} from API server: persistentvolumes "${pvc.spec.volumeName}" not found`);
  if (pv.spec?.claimRef?.uid !== pvc.metadata.uid) throw new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: PV ${pv.metadata.name} is not bound to it`);
  const readOnly = ref.readOnly || (pv.spec?.accessModes ?? []).every((m: string) => m === 'ReadOnlyMany');
  if (pv.spec?.hostPath) {
    // A local-path volume's directory is made here on first mount, world-writable as
    // local-path-provisioner's setup script makes it (`mkdir -m 0777 -p`), so pods that do
    // not run as root can write to their claim.
    if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] === 'rancher.io/local-path' && !(await stat(pv.spec.hostPath.path).catch(() => undefined))) {
      await mkdir(pv.spec.hostPath.path, { recursive: true });
      await chmod(pv.spec.hostPath.path, 0o777);
    }
    await checkHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type);
    return { path: pv.spec.hostPath.path, readOnly };
  }
  if (pv.spec?.local) {
    const st = await stat(pv.spec.local.path).catch(() => undefined);
    if (!st) throw new Error(`path "${pv.spec.local.path}" does not exist`);
    return { path: pv.spec.local.path, readOnly };
  }
  throw new Error(`volume ${pv.metadata.name} has no source this node can mount (hostPath or local)`);
}

/** Checks the pod's claims without touching disk (simulated nodes): bound, volume present. */
export async function checkPodClaims(pod: any, source: PodConfigSource): Promise<void> {
  for (const vol of pod.spec?.volumes ?? []) {
    const ref = claimOf(pod, vol);
    if (!ref) continue;
    const ns = pod.metadata.namespace;
    const claimName = ref.claimName;
    const pvc = await source.getPersistentVolumeClaim?.(ns, claimName);
    if (!pvc) throw Object.assign(new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`), { volume: vol.name });
    if (!pvc.spec?.volumeName || pvc.status?.phase !== 'Bound') throw Object.assign(new ClaimNotReadyError(`error processing PVC ${ns}/${claimName}: PVC is not bound`), { volume: vol.name });
  }
}
