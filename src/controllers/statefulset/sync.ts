/**
 * syncStatefulSet (upstream's stateful_set_control): pods `<set>-<ordinal>` with stable
 * identity and claims.
 *
 * OrderedReady ("monotonic") creates in ordinal order, each pod Running and Ready (and
 * available for minReadySeconds) before the next, and removes ordinals above the replica
 * count from the highest down, one at a time, only once every remaining pod is healthy.
 * Parallel does all of it at once. A failed or succeeded pod is deleted and comes back
 * with the same name on a later sync. Scaling takes precedence over updates: RollingUpdate
 * (rolling.ts) runs only once the set is healthy at its size.
 *
 * Pod names are fixed, so a stale cache can never make the controller over-create (the
 * second create of `web-1` is AlreadyExists); expectations still hold a sync back until
 * the informer has seen the controller's own creates and deletes, so it never acts twice
 * on the same stale view.
 */
import { keyOf } from '../../client/cache.js';
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import { claimObjects } from '../common/claim.js';
import type { EventRecorder } from '../common/events.js';
import type { Expectations } from '../common/expectations.js';
import { isPodAvailable, isPodReady } from '../common/pods.js';
import { createMissingClaims, podClaimIsStale, updateClaimOwners } from './claims.js';
import { syncRevisions, truncateHistory, type Revisions } from './history.js';
import { newPod, ordinalOf, startOrdinal } from './identity.js';
import { rollingUpdate } from './rolling.js';
import { computeStatus } from './status.js';

export interface StsSyncDeps {
  pods: ResourceClient;
  sets: ResourceClient;
  revisions: ResourceClient;
  claims: ResourceClient;
  listPods: (ns: string) => any[];
  listRevisions: (ns: string) => any[];
  getClaim: (ns: string, name: string) => any | undefined;
  expectations: Expectations;
  recorder: EventRecorder;
  now: () => number;
}

export const isTerminating = (p: any) => !!p.metadata.deletionTimestamp;
const finished = (p: any) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
export const runningAndReady = (p: any) => p.status?.phase === 'Running' && isPodReady(p);

/** Set-level context shared by the phases of one sync. */
export interface SyncCtx {
  d: StsSyncDeps;
  key: string;
  set: any;
  ref: any;
  rev: Revisions;
  monotonic: boolean;
  now: number;
  /** Whether a pod is running, ready and available for minReadySeconds. */
  healthy: (p: any) => boolean;
}

export async function syncStatefulSet(d: StsSyncDeps, key: string, set: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!set) {
    d.expectations.delete(key);
    return;
  }
  if (set.metadata.deletionTimestamp) return;
  const ns = set.metadata.namespace;
  const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata };
  // adoptOrphanRevisions + ListRevisions: the revisions the selector matches, orphans adopted.
  const owned = await claimObjects({ owner, selector: set.spec.selector, client: d.revisions, candidates: d.listRevisions(ns), adoptOnly: true });
  const rev = await syncRevisions(d.revisions, set, owned);
  // Only pods named as members (`<set>-<ordinal>`) are claimed; other owned ones are released (isMemberOf).
  const pods = await claimObjects({ owner, selector: set.spec.selector, client: d.pods, candidates: d.listPods(ns), filter: (p) => ordinalOf(set, p) >= 0 });
  const now = d.now();
  const minReady = set.spec.minReadySeconds ?? 0;
  const c: SyncCtx = {
    d,
    key,
    set,
    ref: { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' },
    rev,
    monotonic: (set.spec.podManagementPolicy ?? 'OrderedReady') !== 'Parallel',
    now,
    healthy: (p) => !isTerminating(p) && runningAndReady(p) && isPodAvailable(p, minReady, now),
  };
  if (d.expectations.satisfied(key)) await updateStatefulSet(c, pods);
  await writeStatus(d, set, computeStatus(set, pods, rev, now));
  await truncateHistory(d.revisions, set, owned, pods, new Set([rev.current, rev.update]));
  // Availability after minReadySeconds comes from time passing, not from an event.
  if (minReady > 0 && pods.some((p) => runningAndReady(p) && !isPodAvailable(p, minReady, now))) return { requeueAfterMs: minReady * 1000 };
}

async function updateStatefulSet(c: SyncCtx, pods: any[]): Promise<void> {
  const { set, d, rev, monotonic } = c;
  const replicas = set.spec.replicas ?? 1;
  const start = startOrdinal(set);
  const slots: (any | undefined)[] = new Array(replicas).fill(undefined);
  const condemned: any[] = [];
  for (const p of pods) {
    const o = ordinalOf(set, p);
    if (o >= start && o < start + replicas) slots[o - start] = p;
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));
  // The claims of pods about to be scaled away take the pod as owner first (whenScaled: Delete).
  for (const p of condemned) if (!isTerminating(p)) await updateClaimOwners(d.claims, set, p, d.getClaim);
  // In ordinal order for replicas, then the condemned from the highest down (the order they go in).
  const firstUnhealthy = [...slots, ...condemned].find((p) => p && !c.healthy(p));

  for (let i = 0; i < replicas; i++) {
    const ordinal = start + i;
    const p = slots[i];
    if (p && finished(p)) {
      // The replacement is made on a later sync, once this one is gone from the store.
      if (!isTerminating(p)) await deletePod(c, p, `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`);
      if (monotonic) return;
      continue;
    }
    if (!p) {
      if (podClaimIsStale(set, ordinal, d.getClaim)) {
        // wait for the old claim to be deleted (its owner pod is gone)
        if (monotonic) return;
        continue;
      }
      await createPod(c, ordinal);
      if (monotonic) return;
      continue;
    }
    if (p.status?.phase === 'Pending' || !p.status?.phase) await createMissingClaims(d.claims, set, ordinal, d.getClaim, d.recorder);
    if (monotonic && !c.healthy(p)) return;
    await updateClaimOwners(d.claims, set, p, d.getClaim);
  }
  for (const p of condemned) {
    if (isTerminating(p)) {
      if (monotonic) return;
      continue;
    }
    // in order: a condemned pod waits for its unhealthy predecessors, unless it is the first unhealthy one
    if (monotonic && !c.healthy(p) && p !== firstUnhealthy) return;
    await deletePod(c, p, `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    if (monotonic) return;
  }
  if ((set.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
  for (const p of rollingUpdate(set, slots as any[], rev.update, c.healthy)) await deletePod(c, p, `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`);
}

async function createPod(c: SyncCtx, ordinal: number): Promise<void> {
  const { set, d, rev } = c;
  await createMissingClaims(d.claims, set, ordinal, d.getClaim, d.recorder);
  // newVersionedStatefulSetPod: below the partition a pod is (re)made at the current revision.
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const useCurrent = rolling && ordinal < startOrdinal(set) + partition && rev.current !== rev.update;
  const pod = newPod(useCurrent ? { ...set, spec: { ...set.spec, template: rev.currentTemplate } } : set, ordinal, useCurrent ? rev.current : rev.update);
  d.expectations.raise(c.key, 1, []);
  try {
    await d.pods.create(pod);
    c.d.recorder.event(c.ref, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  } catch (err) {
    d.expectations.creationFailed(c.key);
    if (isAlreadyExists(err)) return;
    c.d.recorder.event(c.ref, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
    throw err;
  }
}

async function deletePod(c: SyncCtx, p: any, message: string): Promise<void> {
  c.d.expectations.raise(c.key, 0, [keyOf(p)]);
  try {
    await c.d.pods.delete(p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
    c.d.recorder.event(c.ref, 'Normal', 'SuccessfulDelete', message);
  } catch (err) {
    c.d.expectations.deletionObserved(c.key, keyOf(p));
    if (!isNotFound(err)) throw err;
  }
}

async function writeStatus(d: StsSyncDeps, set: any, status: any): Promise<void> {
  if (JSON.stringify(status) === JSON.stringify(set.status ?? {})) return;
  try {
    await d.sets.updateStatus({ ...set, status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
