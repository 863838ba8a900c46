/**
 * The etcd v3 backend (`--datastore-endpoint=http://host:2379[,...]`): the Backend
 * contract on etcd's own revisions. Creates are transactions guarded by
 * create_revision == 0, updates and guarded deletes by mod_revision; ranges take etcd's
 * revision and limit; watches start at afterRevision+1 with previous values; compaction is
 * etcd's, and "required revision has been compacted" becomes CompactedError. Consensus is
 * etcd's: this file only maps the API. The wire is ours and thin: etcd-proto.ts (the
 * messages), etcd-client.ts (endpoints, deadlines, failover; unary calls over HTTP/2 by
 * etcd-h2.ts), etcd-watch.ts (watch streams that move to another member).
 *
 * Requests carry a deadline (requestTimeoutMs): a write that a follower forwarded to a
 * leader that then died would otherwise wait for etcd's own request timeout (7 s) before
 * the client retries it on another member. A retried write may find that its first
 * attempt did land after all: a create that meets its own value, or an update that finds
 * the key already holding exactly its value, is taken as done rather than reported as
 * "exists" or "conflict" (values carry uids and timestamps, so another writer's identical
 * value does not happen in practice).
 */
import type { Backend, KeyValue, ListOptions, ListResult, WatchEvent, WatchOptions } from './types.js';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from './errors.js';
import { EtcdClient } from './etcd-client.js';
import { EtcdWatch } from './etcd-watch.js';
import { decodeRange, decodeTxn, encodeCompaction, encodeRange, encodeTxn, type Compare, type Kv, type RangeRequest, type TxnRequest, type TxnResponse } from './etcd-proto.js';

export interface EtcdBackendOptions {
  endpoints: string[];
  /** PEM contents for TLS client authentication to etcd. */
  tls?: { caPem?: string; certPem?: string; keyPem?: string };
  /** How long a broken watch keeps trying to reach some member before it ends with an error (default 30 s). */
  watchReconnectMs?: number;
  /** @deprecated Accepted for compatibility; connections are made per request (see requestTimeoutMs). */
  dialTimeoutMs?: number;
  /** Deadline of each unary request (default 2 s); the client then retries on another member. */
  requestTimeoutMs?: number;
}

/** The first key after every key that starts with prefix (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i]++;
      return out;
    }
  }
  return Buffer.from([0]);
}

function isCompacted(err: unknown): boolean {
  return /compacted/i.test(String((err as Error)?.message ?? err));
}
function isFuture(err: unknown): boolean {
  return /future rev/i.test(String((err as Error)?.message ?? err));
}

/**
 * How long a watch keeps trying to reach some member before it ends with an error (the
 * API server then answers its watchers with an ERROR event and they relist).
 */
const WATCH_RECONNECT_MS = 30_000;

/** The key's current value, read back by a failed transaction (its failure branch is one range). */
const currentOf = (r: TxnResponse): Kv | undefined => r.responses[0]?.range?.kvs[0];

export class EtcdBackend implements Backend {
  readonly name = 'etcd';
  private readonly kv: EtcdClient;
  private readonly watchReconnectMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;
  private compacted = 0;

  constructor(o: EtcdBackendOptions) {
    const timeout = o.requestTimeoutMs ?? 2000;
    this.kv = new EtcdClient({ endpoints: o.endpoints, tls: o.tls, requestTimeoutMs: timeout });
    this.watchReconnectMs = o.watchReconnectMs ?? WATCH_RECONNECT_MS;
  }

  private async range(r: RangeRequest) {
    return decodeRange(await this.kv.unary('/etcdserverpb.KV/Range', encodeRange(r).frame()));
  }

  private async txn(t: TxnRequest): Promise<TxnResponse> {
    return decodeTxn(await this.kv.unary('/etcdserverpb.KV/Txn', encodeTxn(t).frame()));
  }

  async currentRevision(): Promise<number> {
    return (await this.range({ key: '/', countOnly: true })).revision;
  }

  async get(key: string): Promise<{ revision: number; kv?: KeyValue }> {
    const r = await this.range({ key });
    return { revision: r.revision, kv: r.kvs[0] };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    const r = await this.txn({
      compare: [{ key, target: 'create', result: 'equal', value: 0 }],
      success: [{ put: { key, value } }],
      failure: [{ range: { key } }],
    });
    if (!r.succeeded) {
      // A retried create whose first attempt landed finds its own value.
      const cur = currentOf(r);
      if (cur && cur.value === value) return cur;
      throw new KeyExistsError(key);
    }
    return { key, value, createRevision: r.revision, modRevision: r.revision };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    const r = await this.txn({
      compare: [{ key, target: 'mod', result: 'equal', value: expectedModRevision }],
      success: [{ put: { key, value, prevKv: true } }],
      failure: [{ range: { key } }],
    });
    if (!r.succeeded) {
      const cur = currentOf(r);
      if (!cur) throw new KeyNotFoundError(key);
      // A retried update whose first attempt landed finds exactly its value, written after expected.
      if (cur.modRevision > expectedModRevision && cur.value === value) return cur;
      throw new RevisionConflictError(key, cur);
    }
    const prev = r.responses[0]?.put?.prevKv;
    return { key, value, createRevision: prev ? prev.createRevision : r.revision, modRevision: r.revision };
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prevKv: KeyValue }> {
    const compare: Compare = expectedModRevision === undefined ? { key, target: 'create', result: 'greater', value: 0 } : { key, target: 'mod', result: 'equal', value: expectedModRevision };
    const r = await this.txn({ compare: [compare], success: [{ deleteRange: { key, prevKv: true } }], failure: [{ range: { key } }] });
    if (!r.succeeded) {
      const cur = currentOf(r);
      if (!cur) throw new KeyNotFoundError(key);
      throw new RevisionConflictError(key, cur);
    }
    const prev = r.responses[0]?.deleteRange?.prevKvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    return { revision: r.revision, prevKv: prev };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    try {
      const r = await this.range({ key: opts.startKey ?? prefix, rangeEnd: prefixEnd(prefix), limit: opts.limit ?? 0, revision: opts.revision ?? 0 });
      return { revision: r.revision && opts.revision ? opts.revision : r.revision, kvs: r.kvs, more: r.more };
    } catch (err) {
      if (isCompacted(err)) throw new CompactedError(opts.revision ?? 0, this.compacted);
      if (isFuture(err)) throw new FutureRevisionError(opts.revision ?? 0, await this.currentRevision());
      throw err;
    }
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    const r = await this.range({ key: prefix, rangeEnd: prefixEnd(prefix), countOnly: true });
    return { revision: r.revision, count: r.count };
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: (events: WatchEvent[]) => void, onError?: (err: Error) => void): Promise<void> {
    if (opts.afterRevision < this.compacted) throw new CompactedError(opts.afterRevision, this.compacted);
    const w = new EtcdWatch(this.kv, {
      key: prefix,
      rangeEnd: prefixEnd(prefix),
      afterRevision: opts.afterRevision,
      signal: opts.signal,
      reconnectForMs: this.watchReconnectMs,
      onEvents: (evs) => {
        const events: WatchEvent[] = [];
        for (const e of evs) {
          const kv = e.kv;
          const prev = e.prevKv;
          if (e.type === 'delete') {
            // etcd's delete event has an empty value: report the last value, at the delete's revision.
            events.push({ type: 'delete', kv: { ...(prev ?? kv), modRevision: kv.modRevision }, prevKv: prev, revision: kv.modRevision });
          } else {
            events.push({ type: kv.createRevision === kv.modRevision ? 'create' : 'update', kv, prevKv: prev, revision: kv.modRevision });
          }
        }
        if (events.length) onEvents(events);
      },
      onProgress: (rev) => opts.onProgress?.(rev),
      onError: (err) => {
        this.watches.delete(w);
        if (err instanceof CompactedError) this.compacted = Math.max(this.compacted, err.compacted);
        onError?.(err);
      },
    });
    if (this.closed) throw new Error('etcd backend closed');
    this.watches.add(w);
    opts.signal.addEventListener('abort', () => this.watches.delete(w), { once: true });
    try {
      await w.start();
    } catch (err) {
      this.watches.delete(w);
      throw err;
    }
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.kv.unary('/etcdserverpb.KV/Compact', encodeCompaction(revision, true).frame());
    } catch (err) {
      if (!isCompacted(err)) throw err;
    }
    this.compacted = Math.max(this.compacted, revision);
  }

  async compactRevision(): Promise<number> {
    return this.compacted;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.kv.close();
  }
}
