/**
 * Which store a server uses, from its configuration: the SQLite file in the data dir by
 * default, memory for tests, or etcd with `--datastore-endpoint` (k3s's flag) and its TLS
 * files. Also the notice a server on etcd gives when its data dir still holds a SQLite
 * store: the data there is not used until copied with `skiff migrate`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendSpec } from '../store/index.js';
import { MIGRATION_MARKER_KEY } from '../store/migrate.js';
import type { Backend } from '../store/types.js';
import type { Logger } from '../util/log.js';

export function sqlitePath(dataDir: string): string {
  return join(dataDir, 'db', 'state.db');
}

export interface DatastoreFlags {
  dataDir: string;
  datastore?: 'sqlite' | 'memory';
  datastoreEndpoint?: string;
  datastoreTls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export function etcdEndpoints(flag: string): string[] {
  return flag.split(',').map((s) => s.trim()).filter(Boolean);
}

export function backendSpec(c: DatastoreFlags): BackendSpec {
  if (c.datastoreEndpoint) {
    const read = (f?: string) => (f ? readFileSync(f, 'utf8') : undefined);
    const t = c.datastoreTls ?? {};
    return { kind: 'etcd', endpoints: etcdEndpoints(c.datastoreEndpoint), tls: t.caFile ? { caPem: read(t.caFile), certPem: read(t.certFile), keyPem: read(t.keyFile) } : undefined };
  }
  return c.datastore === 'memory' ? { kind: 'memory' } : { kind: 'sqlite', path: sqlitePath(c.dataDir) };
}

/** On etcd, says whether the data dir's SQLite store (if any) has been copied over, and how to copy it. */
export async function noticeSqliteStore(c: DatastoreFlags, backend: Backend, log: Logger): Promise<void> {
  if (!c.datastoreEndpoint || !existsSync(sqlitePath(c.dataDir))) return;
  const marker = (await backend.get(MIGRATION_MARKER_KEY)).kv;
  if (marker) {
    log.info('the data dir holds a SQLite store that was copied into this datastore; it is no longer used', { sqlite: sqlitePath(c.dataDir), migration: JSON.parse(marker.value) });
    return;
  }
  log.warn('the data dir holds a SQLite store that this etcd datastore does not use: its objects are not served. Stop the server and copy them with: skiff migrate --data-dir ' + c.dataDir + ' --datastore-endpoint ' + c.datastoreEndpoint, {
    sqlite: sqlitePath(c.dataDir),
  });
}
