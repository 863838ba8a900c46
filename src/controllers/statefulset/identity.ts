/**
 * StatefulSet pod identity: stable names `<set>-<ordinal>` (ordinals from
 * spec.ordinals.start), hostname and subdomain for the governing headless Service, the
 * pod-name and pod-index labels, and one PersistentVolumeClaim per claim template per
 * ordinal named `<claim>-<set>-<ordinal>`.
 */
import { podFromTemplate } from '../common/pods.js';

export function ordinalOf(set: any, pod: any): number {
  const m = new RegExp(`^${set.metadata.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(pod.metadata?.name ?? '');
  return m ? Number(m[1]) : -1;
}

export const podName = (set: any, ordinal: number) => `${set.metadata.name}-${ordinal}`;
export const claimName = (claim: string, set: any, ordinal: number) => `${claim}-${set.metadata.name}-${ordinal}`;
export const startOrdinal = (set: any) => set.spec?.ordinals?.start ?? 0;

export function newPod(set: any, ordinal: number, revisionHash: string): any {
  const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata };
  const pod = podFromTemplate(set.spec.template, owner, {
    'statefulset.kubernetes.io/pod-name': podName(set, ordinal),
    'apps.kubernetes.io/pod-index': String(ordinal),
    'controller-revision-hash': revisionHash,
  });
  delete pod.metadata.generateName;
  pod.metadata.name = podName(set, ordinal);
  pod.spec.hostname = pod.metadata.name;
  if (set.spec.serviceName) pod.spec.subdomain = set.spec.serviceName;
  // Claim templates become this ordinal's PVCs, mounted in place of the template's volumes.
  const vols = (pod.spec.volumes ?? []).filter((v: any) => !(set.spec.volumeClaimTemplates ?? []).some((t: any) => t.metadata?.name === v.name));
  for (const t of set.spec.volumeClaimTemplates ?? []) vols.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: claimName(t.metadata.name, set, ordinal) } });
  if (vols.length) pod.spec.volumes = vols;
  return pod;
}

export function newClaim(set: any, template: any, ordinal: number): any {
  const labels = { ...(set.spec.selector?.matchLabels ?? {}), ...(template.metadata?.labels ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName(template.metadata.name, set, ordinal), namespace: set.metadata.namespace, labels, ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}) },
    spec: structuredClone(template.spec ?? {}),
  };
}
