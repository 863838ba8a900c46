/** The in-memory backend (tests, --datastore memory): the MVCC keyspace and watch hub alone. */
import { Mvcc, type Op } from './mvcc.js';
import type { Backend, KeyValue, ListOptions, ListResult, WatchEvent, WatchOptions } from './types.js';
import { WatchHub } from './watch-hub.js';

export class MemoryBackend implements Backend {
  readonly name: string = 'memory';
  protected readonly mvcc = new Mvcc();
  protected readonly hub: WatchHub;

  constructor(o: { progressMs?: number } = {}) {
    this.hub = new WatchHub(this.mvcc, o.progressMs);
  }

  /** Checks and applies one op; subclasses make it durable first. */
  protected async write(op: Op): Promise<KeyValue & { prev?: KeyValue }> {
    const m = this.mvcc.check(op, this.mvcc.revision + 1, new Map());
    const ev = this.mvcc.apply(m);
    this.hub.publish([ev]);
    return { ...ev.kv, prev: m.prev };
  }

  async currentRevision(): Promise<number> {
    return this.mvcc.revision;
  }

  async get(key: string): Promise<{ revision: number; kv?: KeyValue }> {
    return { revision: this.mvcc.revision, kv: this.mvcc.get(key) };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    const { prev: _p, ...kv } = await this.write({ type: 'create', key, value });
    return kv;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    const { prev: _p, ...kv } = await this.write({ type: 'update', key, value, expected: expectedModRevision });
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prevKv: KeyValue }> {
    const r = await this.write({ type: 'delete', key, expected: expectedModRevision });
    return { revision: r.modRevision, prevKv: r.prev! };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    return this.mvcc.range(prefix, opts);
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    return { revision: this.mvcc.revision, count: this.mvcc.count(prefix) };
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: (events: WatchEvent[]) => void): Promise<void> {
    this.hub.watch(prefix, opts, onEvents);
  }

  async compact(revision: number): Promise<void> {
    this.mvcc.compact(revision);
  }

  async compactRevision(): Promise<number> {
    return this.mvcc.compacted;
  }

  async close(): Promise<void> {
    this.hub.close();
  }
}
