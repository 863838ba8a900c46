/**
 * The SQLite backend, the embedded default: an append-only log table whose row id is the
 * revision (as kine keeps etcd's model in SQL) beside the in-memory MVCC keyspace it is
 * rebuilt from at start. Writes are group-committed: every write issued in the same tick
 * is checked in order (compare-and-swap exact within the batch), stored in one
 * transaction, and only then applied in memory, published to watchers and acknowledged.
 * WAL with synchronous=FULL: an acknowledged write survives kill -9 and power loss. The
 * commits run on a writer thread (sqlite-writer.ts), one batch at a time, so the fsync
 * does not stall the event loop; writes arriving meanwhile form the next batch, checked
 * against the state the previous batch left.
 * Compaction, like the API server's, runs every 5 minutes up to the revision seen at the
 * previous run, so at least 5 minutes of history stay readable.
 */
import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MemoryBackend } from './memory.js';
import type { Mutation, Op } from './mvcc.js';
import { openDatabase, type LogRow, type WriterReply, type WriterRequest } from './sqlite-writer.js';
import type { KeyValue } from './types.js';

interface Pending {
  op: Op;
  resolve: (r: KeyValue & { prev?: KeyValue }) => void;
  reject: (e: unknown) => void;
}

export interface SqliteOptions {
  path: string;
  progressMs?: number;
  /** 0 disables automatic compaction. */
  compactIntervalMs?: number;
}

export class SqliteBackend extends MemoryBackend {
  override readonly name = 'sqlite';
  private readonly writer: Worker;
  private readonly calls = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextCall = 1;
  private writerError?: Error;
  private queue: Pending[] = [];
  private scheduled = false;
  /** The batch being committed by the writer, if any. */
  private current?: Promise<void>;
  private readonly compactTimer?: NodeJS.Timeout;
  private lastSeenRevision = 0;
  private closed = false;

  constructor(o: SqliteOptions) {
    super({ progressMs: o.progressMs });
    mkdirSync(dirname(o.path), { recursive: true });
    const db = openDatabase(o.path);
    try {
      this.load(db);
    } finally {
      db.close();
    }
    this.writer = new Worker(new URL('./sqlite-writer.js', import.meta.url), { workerData: { sqliteWriterPath: o.path } });
    this.writer.unref();
    this.writer.on('message', (m: WriterReply) => {
      const c = this.calls.get(m.id);
      if (!c) return;
      this.calls.delete(m.id);
      if (!this.calls.size) this.writer.unref();
      if (m.error) c.reject(new Error(`sqlite: ${m.error}`));
      else c.resolve();
    });
    const fail = (err: Error) => {
      this.writerError = err;
      for (const c of this.calls.values()) c.reject(err);
      this.calls.clear();
    };
    this.writer.on('error', fail);
    this.writer.on('exit', (code) => fail(new Error(`sqlite writer thread exited (code ${code})`)));
    const every = o.compactIntervalMs ?? 5 * 60_000;
    if (every > 0) {
      this.compactTimer = setInterval(() => {
        const target = this.lastSeenRevision;
        this.lastSeenRevision = this.mvcc.revision;
        if (target > 0) void this.compact(target).catch(() => {});
      }, every);
      this.compactTimer.unref?.();
    }
  }

  private call(req: WriterRequest extends infer T ? (T extends WriterRequest ? Omit<T, 'id'> : never) : never): Promise<void> {
    if (this.writerError) return Promise.reject(this.writerError);
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.writer.ref(); // an awaited commit keeps the process alive
      this.writer.postMessage({ ...req, id } as WriterRequest);
    });
  }

  private load(db: Database.Database): void {
    const compacted = (db.prepare("SELECT v FROM meta WHERE k = 'compacted'").get() as { v: number } | undefined)?.v ?? 0;
    const rows = db.prepare('SELECT id, name, created, deleted, value FROM log ORDER BY id').iterate() as IterableIterator<{ id: number; name: string; created: number; deleted: number; value: string | null }>;
    for (const r of rows) {
      const prev = this.mvcc.get(r.name);
      const value = r.deleted ? (prev?.value ?? '') : (r.value ?? '');
      this.mvcc.apply({ key: r.name, revision: r.id, createRevision: r.created, value, deleted: !!r.deleted, prev });
    }
    this.mvcc.log.length = 0; // history before a restart is not replayed to watches
    this.mvcc.revision = Math.max(this.mvcc.revision, compacted);
    this.mvcc.compacted = compacted;
    this.lastSeenRevision = this.mvcc.revision;
  }

  protected override write(op: Op): Promise<KeyValue & { prev?: KeyValue }> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.current) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.current) this.current = this.flush().finally(() => {
        this.current = undefined;
        if (this.queue.length) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    const overlay = new Map<string, KeyValue | null>();
    let rev = this.mvcc.revision;
    const ok: { p: Pending; m: Mutation }[] = [];
    for (const p of batch) {
      try {
        const m = this.mvcc.check(p.op, rev + 1, overlay);
        rev++;
        ok.push({ p, m });
      } catch (err) {
        p.reject(err);
      }
    }
    if (!ok.length) return;
    const rows: LogRow[] = ok.map(({ m }) => [m.revision, m.key, m.createRevision, m.deleted ? 1 : 0, m.prev?.modRevision ?? null, m.deleted ? null : m.value]);
    try {
      await this.call({ type: 'rows', rows });
    } catch (err) {
      for (const { p } of ok) p.reject(err);
      return;
    }
    const events = ok.map(({ m }) => this.mvcc.apply(m));
    this.hub.publish(events);
    for (let i = 0; i < ok.length; i++) ok[i].p.resolve({ ...events[i].kv, prev: ok[i].m.prev });
  }

  override async compact(revision: number): Promise<void> {
    const rev = Math.min(revision, this.mvcc.revision);
    if (rev <= this.mvcc.compacted) return;
    await this.call({ type: 'compact', revision: rev });
    this.mvcc.compact(rev);
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compactTimer) clearInterval(this.compactTimer);
    // Everything accepted before close is committed (or rejected) before the writer stops.
    while (this.current || this.queue.length || this.scheduled) {
      if (this.current) await this.current;
      else if (this.queue.length) await (this.current = this.flush().finally(() => (this.current = undefined)));
      else await new Promise((r) => setImmediate(r));
    }
    await super.close();
    if (!this.writerError) await this.call({ type: 'close' }).catch(() => {});
    await this.writer.terminate();
  }
}
