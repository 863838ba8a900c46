/**
 * The store's public surface, and backends by kind: memory (tests), sqlite (the embedded
 * default), etcd (--datastore-endpoint, for HA).
 */
import type { Backend } from './types.js';
import { MemoryBackend } from './memory.js';
import { SqliteBackend } from './sqlite.js';
import { EtcdBackend, type EtcdBackendOptions } from './etcd.js';

export * from './types.js';
export * from './errors.js';
export { MemoryBackend } from './memory.js';
export { SqliteBackend } from './sqlite.js';
export { EtcdBackend } from './etcd.js';

export type BackendSpec = { kind: 'memory' } | { kind: 'sqlite'; path: string; compactIntervalMs?: number } | ({ kind: 'etcd' } & EtcdBackendOptions);

const openers: { [K in BackendSpec['kind']]: (s: Extract<BackendSpec, { kind: K }>) => Promise<Backend> } = {
  memory: async () => new MemoryBackend(),
  sqlite: async (s) => new SqliteBackend({ path: s.path, compactIntervalMs: s.compactIntervalMs }),
  etcd: async (s) => {
    const b = new EtcdBackend(s);
    await b.currentRevision(); // fail fast when etcd is unreachable
    return b;
  },
};

export function openBackend(spec: BackendSpec): Promise<Backend> {
  return (openers[spec.kind] as (s: BackendSpec) => Promise<Backend>)(spec);
}
