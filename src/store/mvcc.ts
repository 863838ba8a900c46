/**
 * An in-memory MVCC keyspace with etcd's semantics: one global revision; per key the
 * versions written since the last compaction (a delete is a tombstone version); ranges
 * read "as of" any revision not yet compacted; a revision-ordered event log for
 * watches to catch up from. The memory backend is this alone; the SQLite backend is this
 * plus a durable append-only log it is rebuilt from at start.
 */
import type { KeyValue, WatchEvent } from './types.js';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from './errors.js';

interface Version {
  createRevision: number;
  modRevision: number;
  value: string;
  deleted: boolean;
}

/** One write, as checked and applied (and persisted by the SQLite backend). */
export interface Mutation {
  key: string;
  revision: number;
  createRevision: number;
  value: string;
  deleted: boolean;
  prev?: KeyValue;
}

export type Op = { type: 'create'; key: string; value: string } | { type: 'update'; key: string; value: string; expected: number } | { type: 'delete'; key: string; expected?: number };

export class Mvcc {
  revision = 0;
  compacted = 0;
  private readonly versions = new Map<string, Version[]>();
  /** Keys in sorted order (binary search for prefix ranges). */
  private readonly sorted: string[] = [];
  readonly log: WatchEvent[] = [];

  private latest(key: string): Version | undefined {
    const vs = this.versions.get(key);
    return vs?.[vs.length - 1];
  }

  private kv(key: string, v: Version): KeyValue {
    return { key, value: v.value, createRevision: v.createRevision, modRevision: v.modRevision };
  }

  get(key: string): KeyValue | undefined {
    const v = this.latest(key);
    return v && !v.deleted ? this.kv(key, v) : undefined;
  }

  /**
   * Checks op against the state plus `overlay` (earlier ops of the same batch) and returns
   * the mutation it makes at `revision`, or throws the store error it fails with.
   */
  check(op: Op, revision: number, overlay: Map<string, KeyValue | null>): Mutation {
    const cur = overlay.has(op.key) ? (overlay.get(op.key) ?? undefined) : this.get(op.key);
    let m: Mutation;
    if (op.type === 'create') {
      if (cur) throw new KeyExistsError(op.key);
      m = { key: op.key, revision, createRevision: revision, value: op.value, deleted: false };
    } else {
      if (!cur) throw new KeyNotFoundError(op.key);
      const expected = op.type === 'update' ? op.expected : op.expected;
      if (expected !== undefined && cur.modRevision !== expected) throw new RevisionConflictError(op.key, cur);
      m = op.type === 'update' ? { key: op.key, revision, createRevision: cur.createRevision, value: op.value, deleted: false, prev: cur } : { key: op.key, revision, createRevision: cur.createRevision, value: cur.value, deleted: true, prev: cur };
    }
    overlay.set(op.key, m.deleted ? null : { key: m.key, value: m.value, createRevision: m.createRevision, modRevision: revision });
    return m;
  }

  /** Applies a checked mutation; returns its watch event. */
  apply(m: Mutation): WatchEvent {
    let vs = this.versions.get(m.key);
    if (!vs) {
      vs = [];
      this.versions.set(m.key, vs);
      this.insertSorted(m.key);
    }
    vs.push({ createRevision: m.createRevision, modRevision: m.revision, value: m.value, deleted: m.deleted });
    this.revision = Math.max(this.revision, m.revision);
    const kv = { key: m.key, value: m.value, createRevision: m.createRevision, modRevision: m.revision };
    const ev: WatchEvent = { type: m.deleted ? 'delete' : m.prev ? 'update' : 'create', kv, prevKv: m.prev, revision: m.revision };
    this.log.push(ev);
    return ev;
  }

  private lowerBound(key: string): number {
    let lo = 0,
      hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertSorted(key: string): void {
    const i = this.lowerBound(key);
    if (this.sorted[i] !== key) this.sorted.splice(i, 0, key);
  }

  checkReadable(revision: number): void {
    if (revision && revision < this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
  }

  /** Keys under prefix as of revision (0 = latest), from startKey, at most limit. */
  range(prefix: string, o: { revision?: number; limit?: number; startKey?: string }): { kvs: KeyValue[]; more: boolean; revision: number } {
    const at = o.revision || this.revision;
    this.checkReadable(o.revision ?? 0);
    const from = o.startKey && o.startKey > prefix ? o.startKey : prefix;
    const kvs: KeyValue[] = [];
    const limit = o.limit || Infinity;
    for (let i = this.lowerBound(from); i < this.sorted.length; i++) {
      const key = this.sorted[i];
      if (!key.startsWith(prefix)) break;
      const v = this.versionAt(key, at);
      if (!v || v.deleted) continue;
      if (kvs.length >= limit) return { kvs, more: true, revision: at };
      kvs.push(this.kv(key, v));
    }
    return { kvs, more: false, revision: at };
  }

  count(prefix: string): number {
    let n = 0;
    for (let i = this.lowerBound(prefix); i < this.sorted.length && this.sorted[i].startsWith(prefix); i++) {
      const v = this.latest(this.sorted[i]);
      if (v && !v.deleted) n++;
    }
    return n;
  }

  private versionAt(key: string, rev: number): Version | undefined {
    const vs = this.versions.get(key);
    if (!vs) return undefined;
    for (let i = vs.length - 1; i >= 0; i--) if (vs[i].modRevision <= rev) return vs[i];
    return undefined;
  }

  /** Events under prefix with revision > after, in order. */
  eventsAfter(prefix: string, after: number): WatchEvent[] {
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    let lo = 0,
      hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid].revision <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: WatchEvent[] = [];
    for (let i = lo; i < this.log.length; i++) if (this.log[i].kv.key.startsWith(prefix)) out.push(this.log[i]);
    return out;
  }

  /** Drops history at or before revision, keeping every key's newest live version. */
  compact(revision: number): void {
    const rev = Math.min(revision, this.revision);
    if (rev <= this.compacted) return;
    for (const [key, vs] of this.versions) {
      // Keep the newest version at or before rev (unless it is a tombstone) and all after.
      let keepFrom = 0;
      for (let i = vs.length - 1; i >= 0; i--) {
        if (vs[i].modRevision <= rev) {
          keepFrom = vs[i].deleted ? i + 1 : i;
          break;
        }
      }
      if (keepFrom > 0) vs.splice(0, keepFrom);
      if (!vs.length) {
        this.versions.delete(key);
        const i = this.lowerBound(key);
        if (this.sorted[i] === key) this.sorted.splice(i, 1);
      }
    }
    let cut = 0;
    while (cut < this.log.length && this.log[cut].revision <= rev) cut++;
    this.log.splice(0, cut);
    this.compacted = rev;
  }
}
