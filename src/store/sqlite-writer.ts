/**
 * The SQLite backend's writer thread: owns the write connection, so a batch's commit
 * (with its WAL fsync) blocks this thread, not the API server's event loop. It takes one
 * batch of log rows at a time, commits it in one transaction, and answers; compaction runs
 * here too, between batches.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

export type LogRow = [revision: number, key: string, created: number, deleted: 0 | 1, prevRevision: number | null, value: string | null];

export type WriterRequest = { id: number; type: 'rows'; rows: LogRow[] } | { id: number; type: 'compact'; revision: number } | { id: number; type: 'close' };
export type WriterReply = { id: number; error?: string };

/** Opens the database as both the main thread (load) and the writer use it. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS log (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      created INTEGER NOT NULL,
      deleted INTEGER NOT NULL,
      prev_revision INTEGER,
      value TEXT
    );
    CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id);
    CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);`);
  return db;
}

function serve(path: string): void {
  const db = openDatabase(path);
  const insert = db.prepare('INSERT INTO log (id, name, created, deleted, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)');
  const insertAll = db.transaction((rows: LogRow[]) => {
    for (const r of rows) insert.run(...r);
  });
  const compact = db.transaction((rev: number) => {
    db.prepare('DELETE FROM log WHERE id <= ? AND id NOT IN (SELECT MAX(id) FROM log WHERE id <= ? GROUP BY name)').run(rev, rev);
    db.prepare('DELETE FROM log WHERE id <= ? AND deleted = 1').run(rev);
    db.prepare("INSERT INTO meta (k, v) VALUES ('compacted', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v").run(rev);
  });
  parentPort!.on('message', (m: WriterRequest) => {
    const reply: WriterReply = { id: m.id };
    try {
      if (m.type === 'rows') insertAll(m.rows);
      else if (m.type === 'compact') compact(m.revision);
      else {
        db.close();
        parentPort!.postMessage(reply);
        parentPort!.close();
        return;
      }
    } catch (err) {
      reply.error = (err as Error).message;
    }
    parentPort!.postMessage(reply);
  });
}

if (parentPort && workerData?.sqliteWriterPath) serve(workerData.sqliteWriterPath as string);
