/**
 * The SQLite backend, the embedded default: an append-only log table whose row id is the
 * revision (as kine keeps etcd's model in SQL) beside the in-memory MVCC keyspace it is
 * rebuilt from at start. Writes are group-committed: every write issued in the same tick
 * is checked in order (compare-and-swap exact within the batch), stored in one
 * transaction, and only then applied in memory, published to watchers and acknowledged.
 * WAL with synchronous=FULL: an acknowledged write survives kill -9 and power loss.
 * Compaction, like the API server's, runs every 5 minutes up to the revision seen at the
 * previous run, so at least 5 minutes of history stay readable.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MemoryBackend } from './memory.js';
import type { Mutation, Op } from './mvcc.js';
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
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private queue: Pending[] = [];
  private flushing = false;
  private readonly compactTimer?: NodeJS.Timeout;
  private lastSeenRevision = 0;
  private closed = false;

  constructor(o: SqliteOptions) {
    super({ progressMs: o.progressMs });
    mkdirSync(dirname(o.path), { recursive: true });
    this.db = new Database(o.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS log (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        prev_revision INTEGER,
        value TEXT
      );
      CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);`);
    this.insert = this.db.prepare('INSERT INTO log (id, name, created, deleted, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)');
    this.load();
    const every = o.compactIntervalMs ?? 5 * 60_000;
    if (every > 0) {
      this.compactTimer = setInterval(() => {
        const target = this.lastSeenRevision;
        this.lastSeenRevision = this.mvcc.revision;
        if (target > 0) void this.compact(target);
      }, every);
      this.compactTimer.unref?.();
    }
  }

  private load(): void {
    const compacted = (this.db.prepare("SELECT v FROM meta WHERE k = 'compacted'").get() as { v: number } | undefined)?.v ?? 0;
    const rows = this.db.prepare('SELECT id, name, created, deleted, value FROM log ORDER BY id').iterate() as IterableIterator<{ id: number; name: string; created: number; deleted: number; value: string | null }>;
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
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushing = false;
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
    try {
      this.db.transaction(() => {
        for (const { m } of ok) this.insert.run(m.revision, m.key, m.createRevision, m.deleted ? 1 : 0, m.prev?.modRevision ?? null, m.deleted ? null : m.value);
      })();
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
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM log WHERE id <= ? AND id NOT IN (SELECT MAX(id) FROM log WHERE id <= ? GROUP BY name)').run(rev, rev);
      this.db.prepare('DELETE FROM log WHERE id <= ? AND deleted = 1').run(rev);
      this.db.prepare("INSERT INTO meta (k, v) VALUES ('compacted', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v").run(rev);
    })();
    this.mvcc.compact(rev);
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.compactTimer) clearInterval(this.compactTimer);
    await super.close();
    this.db.close();
  }
}
