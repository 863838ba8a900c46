/**
 * Store errors, named after etcd's (and kine's): the API server maps them to
 * Kubernetes Status errors (AlreadyExists 409, NotFound 404, Conflict 409, Gone 410).
 */

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** create() on a key that exists. */
export class KeyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}

/** update()/delete() of a key that does not exist. */
export class KeyNotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

/** update()/delete() whose expected mod revision no longer matches. */
export class RevisionConflictError extends StoreError {
  constructor(readonly key: string, readonly current: import('./types.js').KeyValue) {
    super(`revision conflict on ${key}: current mod revision ${current.modRevision}`);
  }
}

/** Read or watch from a revision that compaction has removed ("mvcc: required revision has been compacted"). */
export class CompactedError extends StoreError {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`required revision ${requested} has been compacted (compacted up to ${compacted})`);
  }
}

/** A revision in the future. */
export class FutureRevisionError extends StoreError {
  constructor(readonly requested: number, readonly current: number) {
    super(`required revision ${requested} is a future revision (current ${current})`);
  }
}
