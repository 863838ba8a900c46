/**
 * The ephemeral volume controller: for each generic ephemeral volume of a pod it creates
 * the claim <pod name>-<volume name> from the volume's volumeClaimTemplate, owned by the
 * pod (controller: true), so the claim lives and dies with the pod. A claim of that name
 * that the pod does not own is left alone: the kubelet then refuses to use it, as upstream.
 */
import { isAlreadyExists } from '../../client/rest.js';
import type { ResourceClient } from '../../client/resource.js';

export const ephemeralClaimName = (pod: any, vol: any) => `${pod.metadata.name}-${vol.name}`;

export async function syncEphemeralClaims(pvcs: ResourceClient, existing: (ns: string, name: string) => any | undefined, pod: any): Promise<void> {
  if (pod.metadata.deletionTimestamp) return;
  for (const vol of pod.spec?.volumes ?? []) {
    const tpl = vol.ephemeral?.volumeClaimTemplate;
    if (!tpl) continue;
    const name = ephemeralClaimName(pod, vol);
    if (existing(pod.metadata.namespace, name)) continue;
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: pod.metadata.namespace,
        labels: tpl.metadata?.labels,
        annotations: tpl.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: tpl.spec,
    };
    try {
      await pvcs.create(claim);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
