/**
 * Copies one store into another (`skiff migrate`: the embedded SQLite store into etcd):
 * every live key with its latest value, read at one revision of the source, so the copy
 * is one consistent snapshot. History is not copied, and the target numbers its own
 * revisions, so every object's resourceVersion changes (the values hold none: it is the
 * key's mod revision); clients simply relist.
 *
 * Keys are created only where absent. A key the target already holds with the same value
 * is skipped, so an interrupted copy can simply be run again; one with another value is a
 * conflict, reported, and overwritten only with `force`.
 */
import { KeyExistsError, RevisionConflictError } from './errors.js';
import type { Backend, KeyValue } from './types.js';

/** Written into the target when a copy completes: what was copied, from where, when. */
export const MIGRATION_MARKER_KEY = '/skiff/migrated-from-sqlite';

export interface CopyOptions {
  /** Copy only keys under this prefix (default '/': everything). */
  prefix?: string;
  /** Overwrite keys the target holds with other values. */
  force?: boolean;
  /** Keys read per page and written at once. */
  pageSize?: number;
  concurrency?: number;
  /** Recorded in the marker key. */
  source?: string;
  onProgress?: (copied: number) => void;
}

export interface CopyResult {
  /** The source revision the copy was read at. */
  sourceRevision: number;
  copied: number;
  /** Already present in the target with the same value. */
  unchanged: number;
  /** Present with another value and overwritten (force). */
  overwritten: number;
  /** Present with another value and left alone (no force); nothing else is wrong. */
  conflicts: string[];
}

async function copyOne(to: Backend, kv: KeyValue, force: boolean, r: CopyResult): Promise<void> {
  for (;;) {
    // Read first: the etcd backend takes a create that meets its own value as done (a
    // retried write), which would count a key already copied as copied again.
    let cur = (await to.get(kv.key)).kv;
    if (!cur) {
      try {
        await to.create(kv.key, kv.value);
        r.copied++;
        return;
      } catch (err) {
        if (!(err instanceof KeyExistsError)) throw err;
      }
      cur = (await to.get(kv.key)).kv;
      if (!cur) continue; // deleted meanwhile: create again
    }
    if (cur.value === kv.value) {
      r.unchanged++;
      return;
    }
    if (!force) {
      r.conflicts.push(kv.key);
      return;
    }
    try {
      await to.update(kv.key, kv.value, cur.modRevision);
      r.overwritten++;
      return;
    } catch (err) {
      if (!(err instanceof RevisionConflictError)) throw err;
    }
  }
}

export async function copyStore(from: Backend, to: Backend, o: CopyOptions = {}): Promise<CopyResult> {
  const prefix = o.prefix ?? '/';
  const pageSize = o.pageSize ?? 500;
  const concurrency = o.concurrency ?? 16;
  const sourceRevision = await from.currentRevision();
  const r: CopyResult = { sourceRevision, copied: 0, unchanged: 0, overwritten: 0, conflicts: [] };
  let startKey: string | undefined;
  for (;;) {
    // Every page at the same revision: one consistent snapshot even if the source changes.
    const page = await from.list(prefix, { revision: sourceRevision, limit: pageSize, startKey });
    const kvs = page.kvs.filter((kv) => kv.key !== MIGRATION_MARKER_KEY);
    for (let i = 0; i < kvs.length; i += concurrency) {
      await Promise.all(kvs.slice(i, i + concurrency).map((kv) => copyOne(to, kv, o.force ?? false, r)));
    }
    o.onProgress?.(r.copied + r.unchanged + r.overwritten);
    if (!page.more || page.kvs.length === 0) break;
    startKey = page.kvs[page.kvs.length - 1].key + '\0';
  }
  if (r.conflicts.length === 0) {
    const marker = JSON.stringify({ source: o.source ?? from.name, sourceRevision, keys: r.copied + r.unchanged + r.overwritten, at: new Date().toISOString() });
    const cur = (await to.get(MIGRATION_MARKER_KEY)).kv;
    if (cur) await to.update(MIGRATION_MARKER_KEY, marker, cur.modRevision);
    else await to.create(MIGRATION_MARKER_KEY, marker);
  }
  return r;
}
