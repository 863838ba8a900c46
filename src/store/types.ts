/**
 * The revisioned key-value store every skiff component persists through, shaped after
 * etcd v3 (and kine's Backend): one global revision that every write advances, creates
 * that fail when the key exists, updates and deletes guarded by the key's mod revision,
 * prefix ranges at a chosen revision with limit and continuation, watches from a
 * revision, and compaction that makes older revisions unreadable ("too old").
 *
 * Values are opaque strings (the API server stores JSON). Every backend (memory, sqlite,
 * later etcd) runs the one conformance suite in store/conformance.ts.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For delete: the last value before the delete, with modRevision = the delete's revision. */
  kv: KeyValue;
  /** Previous value for update and delete (when still known). */
  prevKv?: KeyValue;
  /** The revision at which this event happened. */
  revision: number;
}

export interface ListOptions {
  /** Read as of this revision (0 or undefined = latest). Throws CompactedError if compacted. */
  revision?: number;
  /** At most this many kvs (0 or undefined = no limit). */
  limit?: number;
  /** Start from this key (inclusive), used for continuation. Must lie under the prefix. */
  startKey?: string;
}

export interface ListResult {
  /** The revision the list was read at (the store's current revision if none asked). */
  revision: number;
  kvs: KeyValue[];
  /** True when more keys under the prefix follow the last one returned. */
  more: boolean;
}

export interface WatchOptions {
  /** Deliver every event with revision > afterRevision. Throws CompactedError if afterRevision < compacted revision. */
  afterRevision: number;
  /** Stops the watch. */
  signal: AbortSignal;
  /**
   * Progress notify: called now and then (and when asked) with a revision such that every
   * event up to it has been delivered; used for watch bookmarks.
   */
  onProgress?: (revision: number) => void;
}

export interface Backend {
  /** Name of the backend for logs: 'memory', 'sqlite', 'etcd'. */
  readonly name: string;
  /** Current (latest) revision of the store. */
  currentRevision(): Promise<number>;
  /** Latest value of key, or undefined. */
  get(key: string): Promise<{ revision: number; kv?: KeyValue }>;
  /** Creates key. Throws KeyExistsError if it exists. Returns the new kv. */
  create(key: string, value: string): Promise<KeyValue>;
  /**
   * Updates key if its modRevision equals expectedModRevision.
   * Throws NotFoundError if missing, ConflictError (with the current kv) if the revision differs.
   */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Deletes key (if expectedModRevision given, only at that revision: else ConflictError).
   * Throws NotFoundError if missing. Returns the deleted kv (modRevision = the delete's revision)
   * and prevKv.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prevKv: KeyValue }>;
  /** Keys starting with prefix, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys under prefix at the latest revision. */
  count(prefix: string): Promise<{ revision: number; count: number }>;
  /**
   * Streams events for keys under prefix, in revision order, as batches.
   * onEvents is never called concurrently with itself for one watch.
   * The returned promise resolves once the watch is established (events after
   * afterRevision will all be delivered). onError is called (once) if the watch
   * ends abnormally (e.g. compacted while catching up); then no more events come.
   */
  watch(prefix: string, opts: WatchOptions, onEvents: (events: WatchEvent[]) => void, onError?: (err: Error) => void): Promise<void>;
  /** Removes history at or before revision (keeps latest value of every live key). */
  compact(revision: number): Promise<void>;
  /** The revision up to which history has been compacted (0 if none). */
  compactRevision(): Promise<number>;
  close(): Promise<void>;
}
