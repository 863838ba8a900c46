/**
 * syncStatefulSet (upstream's stateful_set_control): pods `<set>-0..N-1` with stable
 * identity and claims. OrderedReady creates in ordinal order, each Running and Ready
 * before the next, and removes from the highest ordinal down, one at a time, only while
 * the rest are healthy; Parallel does both at once. A failed pod is deleted and comes
 * back with the same name. RollingUpdate replaces pods of the old revision from the
 * highest ordinal down to `partition`, one at a time, each Ready before the next;
 * OnDelete leaves that to the user. Claims follow persistentVolumeClaimRetentionPolicy.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import { claimObjects } from '../common/claim.js';
import type { EventRecorder } from '../common/events.js';
import { isPodAvailable, isPodReady } from '../common/pods.js';
import { revisionObject, templateHash } from '../common/revisions.js';
import { newClaim, newPod, ordinalOf, startOrdinal } from './identity.js';

export interface StsSyncDeps {
  pods: ResourceClient;
  sets: ResourceClient;
  revisions: ResourceClient;
  claims: ResourceClient;
  listPods: (ns: string) => any[];
  listRevisions: (ns: string) => any[];
  getClaim: (ns: string, name: string) => any | undefined;
  recorder: EventRecorder;
  now: () => number;
}

const revOf = (p: any) => p.metadata?.labels?.['controller-revision-hash'];
const healthy = (p: any) => p.status?.phase === 'Running' && isPodReady(p) && !p.metadata.deletionTimestamp;
const finished = (p: any) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';

async function revisions(d: StsSyncDeps, set: any): Promise<{ update: string; current: string; currentTemplate: any }> {
  const update = templateHash(set.spec.template);
  const mine = d.listRevisions(set.metadata.namespace).filter((r) => (r.metadata.ownerReferences ?? []).some((o: any) => o.uid === set.metadata.uid));
  const max = Math.max(0, ...mine.map((r) => Number(r.revision ?? 0)));
  const existing = mine.find((r) => r.metadata.labels?.['controller-revision-hash'] === update);
  if (!existing) {
    try {
      await d.revisions.create(revisionObject({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata }, set.spec.template, max + 1, set.spec.selector?.matchLabels ?? {}));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  } else if (Number(existing.revision) < max) {
    await d.revisions.patch(existing.metadata.namespace, existing.metadata.name, 'merge', { revision: max + 1 });
  }
  const current = set.status?.currentRevision ? String(set.status.currentRevision).replace(`${set.metadata.name}-`, '') : update;
  const curRev = mine.find((r) => r.metadata.labels?.['controller-revision-hash'] === current);
  const currentTemplate = curRev?.data?.spec?.template ? { ...curRev.data.spec.template, $patch: undefined } : set.spec.template;
  delete currentTemplate.$patch;
  return { update, current, currentTemplate };
}

async function ensureClaims(d: StsSyncDeps, set: any, ordinal: number): Promise<void> {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  for (const t of set.spec.volumeClaimTemplates ?? []) {
    const claim = newClaim(set, t, ordinal);
    if (d.getClaim(set.metadata.namespace, claim.metadata.name)) continue;
    if (policy.whenDeleted === 'Delete') claim.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }];
    try {
      await d.claims.create(claim);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

export async function syncStatefulSet(d: StsSyncDeps, set: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!set || set.metadata.deletionTimestamp) return;
  const ns = set.metadata.namespace;
  const { update, current, currentTemplate } = await revisions(d, set);
  const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata };
  const all = await claimObjects({ owner, selector: set.spec.selector, client: d.pods, candidates: d.listPods(ns) });
  const replicas = set.spec.replicas ?? 1;
  const start = startOrdinal(set);
  const inRange: (any | undefined)[] = new Array(replicas).fill(undefined);
  const condemned: any[] = [];
  for (const p of all) {
    const o = ordinalOf(set, p);
    if (o < 0) continue;
    if (o >= start && o < start + replicas) inRange[o - start] = p;
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));
  const monotonic = (set.spec.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const strategy = set.spec.updateStrategy?.type ?? 'RollingUpdate';
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const ref = { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' };
  const done = async () => writeStatus(d, set, all, update, current);

  for (let i = 0; i < replicas; i++) {
    const ordinal = start + i;
    const p = inRange[i];
    if (!p) {
      await ensureClaims(d, set, ordinal);
      // Below the partition, a new pod is made at the current revision (RollingUpdate).
      const useCurrent = strategy === 'RollingUpdate' && ordinal < partition && current !== update;
      const pod = newPod(useCurrent ? { ...set, spec: { ...set.spec, template: currentTemplate } } : set, ordinal, useCurrent ? current : update);
      try {
        await d.pods.create(pod);
        d.recorder.event(ref, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      if (monotonic) return done();
      continue;
    }
    if (finished(p) && !p.metadata.deletionTimestamp) {
      await deletePod(d, p, ref);
      if (monotonic) return done();
      continue;
    }
    if (monotonic && !healthy(p)) return done();
  }
  const policy = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  for (const p of condemned) {
    if (p.metadata.deletionTimestamp) {
      if (monotonic) return done();
      continue;
    }
    if (monotonic && inRange.some((x) => !x || !healthy(x))) return done();
    if (policy.whenScaled === 'Delete') await ownClaimsByPod(d, set, p);
    await deletePod(d, p, ref);
    if (monotonic) return done();
  }
  if (strategy === 'RollingUpdate') {
    for (let i = replicas - 1; i >= 0 && start + i >= partition; i--) {
      const p = inRange[i]!;
      if (revOf(p) !== update && !p.metadata.deletionTimestamp) {
        await deletePod(d, p, ref);
        return done();
      }
      if (!healthy(p)) return done();
    }
  }
  await done();
  const minReady = set.spec.minReadySeconds ?? 0;
  if (minReady > 0) return { requeueAfterMs: minReady * 1000 };
}

async function ownClaimsByPod(d: StsSyncDeps, set: any, pod: any): Promise<void> {
  const ordinal = ordinalOf(set, pod);
  for (const t of set.spec.volumeClaimTemplates ?? []) {
    const name = `${t.metadata.name}-${set.metadata.name}-${ordinal}`;
    const c = d.getClaim(set.metadata.namespace, name);
    if (!c) continue;
    const refs = [...(c.metadata.ownerReferences ?? []).filter((r: any) => r.controller !== true || r.kind !== 'Pod'), { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid, controller: true, blockOwnerDeletion: true }];
    await d.claims.patch(c.metadata.namespace, name, 'merge', { metadata: { ownerReferences: refs } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}

async function deletePod(d: StsSyncDeps, p: any, ref: any): Promise<void> {
  try {
    await d.pods.delete(p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
    d.recorder.event(ref, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${ref.metadata.name} successful`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function writeStatus(d: StsSyncDeps, set: any, pods: any[], update: string, current: string): Promise<void> {
  const live = pods.filter((p) => ordinalOf(set, p) >= 0 && !finished(p));
  const now = d.now();
  const minReady = set.spec.minReadySeconds ?? 0;
  const replicas = set.spec.replicas ?? 1;
  const updated = live.filter((p) => revOf(p) === update).length;
  const ready = live.filter((p) => isPodReady(p)).length;
  // The rollout is complete once every replica runs the update revision and is ready.
  const complete = updated === replicas && live.length === replicas && ready === replicas;
  const currentRevision = complete ? update : current;
  const status: any = {
    ...(set.status ?? {}),
    observedGeneration: set.metadata.generation,
    replicas: live.length,
    readyReplicas: ready,
    availableReplicas: live.filter((p) => isPodAvailable(p, minReady, now)).length,
    currentReplicas: live.filter((p) => revOf(p) === currentRevision).length,
    updatedReplicas: updated,
    currentRevision: `${set.metadata.name}-${currentRevision}`,
    updateRevision: `${set.metadata.name}-${update}`,
    collisionCount: set.status?.collisionCount ?? 0,
  };
  if (JSON.stringify(status) === JSON.stringify(set.status ?? {})) return;
  try {
    await d.sets.updateStatus({ ...set, status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
