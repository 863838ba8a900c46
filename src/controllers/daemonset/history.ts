/**
 * DaemonSet ControllerRevisions (upstream's controlledHistories, constructHistory,
 * snapshot, dedupCurHistories and cleanupHistory in daemon/update.go). The current revision is the one whose data
 * holds the DaemonSet's template, found by content, not by name; its
 * controller-revision-hash label is the hash new pods carry. A missing one is created as
 * `<ds>-<hash of template and status.collisionCount>`. If that name is already taken by
 * a different template (a hash collision, or a revision left by someone else), the
 * DaemonSet's status.collisionCount goes up by one on the live object and the sync fails;
 * the retry hashes with the new count and so picks a new name. Rolling back to an older
 * template renumbers its revision as the newest rather than making a new one.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import { claimObjects } from '../common/claim.js';
import { controllerRef } from '../common/pods.js';
import { revisionData, revisionObject } from '../common/revisions.js';

export const HASH_LABEL = 'controller-revision-hash';

export interface HistoryDeps {
  pods: ResourceClient;
  daemonsets: ResourceClient;
  revisions: ResourceClient;
  listRevisions: (ns: string) => any[];
  listPods: (ns: string) => any[];
}

export interface History {
  cur: any;
  /** Every other revision the DaemonSet controls. */
  old: any[];
  /** The current revision's hash: the controller-revision-hash of up-to-date pods. */
  hash: string;
}

const revisionNumber = (r: any) => Number(r.revision ?? 0);

/** constructHistory: the current revision (made if missing) and the old ones. */
export async function constructHistory(d: HistoryDeps, ds: any): Promise<History> {
  const want = revisionData(ds.spec.template);
  const current: any[] = [];
  const old: any[] = [];
  // controlledHistories: revisions are claimed as pods are (matching orphans adopted, ours
  // that no longer match released).
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
  const claimed = await claimObjects({ owner, selector: ds.spec.selector, client: d.revisions, candidates: d.listRevisions(ds.metadata.namespace) });
  for (let r of claimed) {
    // Revisions without the hash label (made before there was one) are labelled with their name.
    if (!r.metadata.labels?.[HASH_LABEL]) r = await d.revisions.patch(r.metadata.namespace, r.metadata.name, 'merge', { metadata: { labels: { [HASH_LABEL]: r.metadata.name } } });
    (isDeepStrictEqual(r.data, want) ? current : old).push(r);
  }
  const next = Math.max(0, ...old.map(revisionNumber)) + 1;
  let cur: any;
  if (!current.length) cur = await snapshot(d, ds, next);
  else {
    cur = await dedup(d, ds, current);
    if (revisionNumber(cur) < next) cur = await d.revisions.patch(cur.metadata.namespace, cur.metadata.name, 'merge', { revision: next });
  }
  return { cur, old, hash: cur.metadata.labels[HASH_LABEL] };
}

async function snapshot(d: HistoryDeps, ds: any, revision: number): Promise<any> {
  const { namespace, name } = ds.metadata;
  const collisionCount = ds.status?.collisionCount ?? 0;
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
  const rev = revisionObject(owner, ds.spec.template, revision, collisionCount);
  try {
    return await d.revisions.create(rev);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await d.revisions.get(namespace, rev.metadata.name);
    // Our own earlier create, not yet in the cache.
    if (isDeepStrictEqual(existing.data, rev.data)) return existing;
    // A hash collision. Bump collisionCount on the live object, so it only goes up once
    // per collision however stale our cached copy is, then fail: the retry uses it.
    const fresh = await d.daemonsets.get(namespace, name);
    const liveCount = fresh.status?.collisionCount ?? 0;
    if (liveCount !== collisionCount) throw new Error(`found a stale collision count (${collisionCount}, expected ${liveCount}) of DaemonSet "${name}" while processing; will retry until it is updated`);
    await d.daemonsets.updateStatus({ ...fresh, status: { ...fresh.status, collisionCount: liveCount + 1 } });
    throw err;
  }
}

/**
 * dedupCurHistories: several revisions holding the current template (racing creates)
 * leave the newest; the pods of the others are relabelled to its hash before they go.
 * (Upstream relabels every pod whose hash differs from the kept one; only the pods of
 * the duplicates are relabelled here, so pods of old templates stay due for an update.)
 */
async function dedup(d: HistoryDeps, ds: any, current: any[]): Promise<any> {
  if (current.length === 1) return current[0];
  const pods = d.listPods(ds.metadata.namespace).filter((p) => controllerRef(p)?.uid === ds.metadata.uid);
  const keep = current.reduce((a, b) => (revisionNumber(b) >= revisionNumber(a) ? b : a));
  const keepHash = keep.metadata.labels[HASH_LABEL];
  for (const dup of current) {
    if (dup === keep) continue;
    const dupHash = dup.metadata.labels[HASH_LABEL];
    for (const p of pods) {
      if (p.metadata.labels?.[HASH_LABEL] !== dupHash || dupHash === keepHash) continue;
      await d.pods.patch(p.metadata.namespace, p.metadata.name, 'merge', { metadata: { labels: { [HASH_LABEL]: keepHash } } }).catch(ignoreNotFound);
    }
    await d.revisions.delete(dup.metadata.namespace, dup.metadata.name).catch(ignoreNotFound);
  }
  return keep;
}

/**
 * cleanupHistory: old revisions beyond revisionHistoryLimit go, oldest first, except
 * those a live pod still runs (those count against nothing, newer ones go instead).
 */
export async function cleanupHistory(d: HistoryDeps, ds: any, old: any[], pods: any[]): Promise<void> {
  let toKill = old.length - (ds.spec.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return;
  const live = new Set(pods.map((p) => p.metadata.labels?.[HASH_LABEL]).filter(Boolean));
  for (const r of [...old].sort((a, b) => revisionNumber(a) - revisionNumber(b))) {
    if (toKill <= 0) break;
    if (live.has(r.metadata.labels?.[HASH_LABEL])) continue;
    await d.revisions.delete(r.metadata.namespace, r.metadata.name).catch(ignoreNotFound);
    toKill--;
  }
}

function ignoreNotFound(e: unknown): undefined {
  if (isNotFound(e)) return undefined;
  throw e;
}
