/**
 * `skiff migrate --data-dir DIR --datastore-endpoint URLS`: copies the data dir's SQLite
 * store into etcd, so a single server can grow into an HA cluster. Run it with the server
 * stopped. Revisions are renumbered by etcd (every resourceVersion changes); the cluster
 * CA stays in the data dir, and the first server started on etcd from that data dir
 * offers it to the others, so existing kubeconfigs keep working.
 */
import { existsSync } from 'node:fs';
import { defaultDataDir } from '../server/config.js';
import { backendSpec, sqlitePath } from '../server/datastore.js';
import { openBackend } from '../store/index.js';
import { copyStore } from '../store/migrate.js';
import { SqliteBackend } from '../store/sqlite.js';
import { helpText, parseFlags, UsageError, type FlagSpec } from './flags.js';

export const migrateFlags: FlagSpec[] = [
  { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'Data dir whose SQLite store (db/state.db) is copied', default: defaultDataDir() },
  { name: 'datastore-endpoint', type: 'string', metavar: 'URLS', help: 'etcd endpoints to copy into (http://127.0.0.1:2379[,...])' },
  { name: 'datastore-cafile', type: 'string', metavar: 'FILE', help: 'CA certificate for etcd TLS' },
  { name: 'datastore-certfile', type: 'string', metavar: 'FILE', help: 'Client certificate for etcd TLS' },
  { name: 'datastore-keyfile', type: 'string', metavar: 'FILE', help: 'Client key for etcd TLS' },
  { name: 'force', type: 'boolean', help: 'Overwrite keys etcd already holds with other values (e.g. the namespaces a server on etcd created)' },
];

const USAGE = `Usage: skiff migrate --data-dir DIR --datastore-endpoint URLS [flags]

Copies every key of the data dir's SQLite store, with its value, into etcd. Stop the
server first. etcd numbers its own revisions: every object's resourceVersion changes,
and watchers relist. Keys etcd already holds with the same value are skipped, so an
interrupted copy can be run again.`;

export async function runMigrate(argv: string[]): Promise<number> {
  let f: Record<string, any>;
  try {
    f = parseFlags(migrateFlags, argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`Error: ${err.message}\nRun 'skiff migrate --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (f.help) {
    process.stdout.write(helpText(USAGE, migrateFlags));
    return 0;
  }
  if (!f['datastore-endpoint']) {
    process.stderr.write('Error: --datastore-endpoint is required\n');
    return 2;
  }
  const src = sqlitePath(f['data-dir']);
  if (!existsSync(src)) {
    process.stderr.write(`Error: no SQLite store at ${src}\n`);
    return 1;
  }
  const from = new SqliteBackend({ path: src, compactIntervalMs: 0 });
  let to;
  try {
    to = await openBackend(backendSpec({ dataDir: f['data-dir'], datastoreEndpoint: f['datastore-endpoint'], datastoreTls: { caFile: f['datastore-cafile'], certFile: f['datastore-certfile'], keyFile: f['datastore-keyfile'] } }));
  } catch (err) {
    await from.close();
    process.stderr.write(`Error: cannot reach etcd at ${f['datastore-endpoint']}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const t0 = Date.now();
    const r = await copyStore(from, to, { force: f.force, source: src });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`copied ${r.copied} keys, ${r.unchanged} already there, ${r.overwritten} overwritten, from ${src} at revision ${r.sourceRevision} into ${f['datastore-endpoint']} in ${secs}s\n`);
    if (r.conflicts.length) {
      process.stderr.write(
        `Error: etcd already holds ${r.conflicts.length} of these keys with other values (first: ${r.conflicts[0]}); they were left alone. ` +
          `If a server on etcd created them (the default namespaces, say), run again with --force to overwrite them with the SQLite values.\n`,
      );
      return 1;
    }
    process.stdout.write(`done: start the server with --datastore-endpoint ${f['datastore-endpoint']} (resourceVersions were renumbered)\n`);
    return 0;
  } finally {
    await from.close();
    await to.close();
  }
}
