/**
 * A StatefulSet's PersistentVolumeClaims: one per volumeClaimTemplate per ordinal,
 * created before the pod and never deleted by the controller itself. Deletion goes
 * through owner references and the garbage collector, per
 * persistentVolumeClaimRetentionPolicy (upstream's updateClaimOwnerRefForSetAndPod):
 *
 *   whenDeleted  whenScaled  claim owned by
 *   Retain       Retain      nobody
 *   Delete       Retain      the set
 *   Retain       Delete      the pod, once its ordinal is scaled away
 *   Delete       Delete      the set; the pod instead once its ordinal is scaled away
 *
 * A claim still being deleted, or owned by an earlier pod of the same name, is stale: the
 * pod waits for it to go rather than mounting it.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import type { EventRecorder } from '../common/events.js';
import { claimName, newClaim, ordinalOf, startOrdinal } from './identity.js';

type Ref = { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean };

const setRef = (set: any): Ref => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid, controller: true, blockOwnerDeletion: true });
const podRef = (pod: any): Ref => ({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid });

export function inOrdinalRange(set: any, ordinal: number): boolean {
  const start = startOrdinal(set);
  return ordinal >= start && ordinal < start + (set.spec.replicas ?? 1);
}

/** The owner references a claim of this pod should carry under the retention policy. */
export function wantedClaimOwners(set: any, pod: any): { set: boolean; pod: boolean } {
  const p = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  const scaledDown = !inOrdinalRange(set, ordinalOf(set, pod));
  const delDeleted = p.whenDeleted === 'Delete';
  const delScaled = p.whenScaled === 'Delete';
  if (delScaled && scaledDown) return { set: false, pod: true };
  return { set: delDeleted, pod: false };
}

function ownersFor(set: any, pod: any, claim: any): Ref[] | undefined {
  const want = wantedClaimOwners(set, pod);
  const refs: Ref[] = claim.metadata.ownerReferences ?? [];
  const others = refs.filter((r) => r.uid !== set.metadata.uid && r.uid !== pod.metadata.uid);
  const next = [...others, ...(want.set ? [setRef(set)] : []), ...(want.pod ? [podRef(pod)] : [])];
  const has = (uid: string) => refs.some((r) => r.uid === uid);
  if (want.set === has(set.metadata.uid) && want.pod === has(pod.metadata.uid)) return undefined;
  return next;
}

/** Claims of a pod that exist but are stale (being deleted, or owned by another pod of that name). */
export function podClaimIsStale(set: any, ordinal: number, getClaim: (ns: string, name: string) => any | undefined, podUid?: string): boolean {
  for (const t of set.spec.volumeClaimTemplates ?? []) {
    const c = getClaim(set.metadata.namespace, claimName(t.metadata.name, set, ordinal));
    if (!c) continue;
    if (c.metadata.deletionTimestamp) return true;
    if ((c.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'Pod' && r.uid !== podUid)) return true;
  }
  return false;
}

export async function createMissingClaims(claims: ResourceClient, set: any, ordinal: number, getClaim: (ns: string, name: string) => any | undefined, recorder?: EventRecorder): Promise<void> {
  const podName = `${set.metadata.name}-${ordinal}`;
  const want = wantedClaimOwners(set, { metadata: { name: podName } });
  const ref = { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' };
  for (const t of set.spec.volumeClaimTemplates ?? []) {
    const claim = newClaim(set, t, ordinal);
    if (getClaim(set.metadata.namespace, claim.metadata.name)) continue;
    if (want.set) claim.metadata.ownerReferences = [setRef(set)];
    try {
      await claims.create(claim);
      recorder?.event(ref, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${podName} in StatefulSet ${set.metadata.name} success`);
    } catch (err) {
      if (isAlreadyExists(err)) continue;
      recorder?.event(ref, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }
}

/** Brings a pod's claims' owner references in line with the retention policy. */
export async function updateClaimOwners(claims: ResourceClient, set: any, pod: any, getClaim: (ns: string, name: string) => any | undefined): Promise<void> {
  const ordinal = ordinalOf(set, pod);
  for (const t of set.spec.volumeClaimTemplates ?? []) {
    const c = getClaim(set.metadata.namespace, claimName(t.metadata.name, set, ordinal));
    if (!c || c.metadata.deletionTimestamp) continue;
    // A claim owned by an earlier pod of this name is left for the garbage collector.
    if ((c.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'Pod' && r.uid !== pod.metadata.uid)) continue;
    const refs = ownersFor(set, pod, c);
    if (!refs) continue;
    await claims
      .patch(c.metadata.namespace, c.metadata.name, 'merge', { metadata: { ownerReferences: refs, resourceVersion: c.metadata.resourceVersion } })
      .catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}
