/**
 * A shared informer: lists a resource, then watches it from the list's resourceVersion,
 * keeping an ObjectCache current and calling handlers for adds, updates and deletes.
 * As client-go's reflector: on a watch that ends it re-watches from the last seen
 * resourceVersion (bookmarks advance it), on 410 Gone it relists (and reports objects
 * that vanished meanwhile as deletes), other failures back off (capped) and retry.
 */
import type { Logger } from '../util/log.js';
import { keyOf, ObjectCache } from './cache.js';
import { isAbort } from './errors.js';
import type { ResourceClient } from './resource.js';
import { isGone } from './rest.js';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Calls onUpdate(obj, obj) for every cached object this often (0 = never). */
  resyncMs?: number;
  pageSize?: number;
  log: Logger;
  /** Backoff between failed list/watch attempts: starts here, doubles, capped at maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export class Informer<T extends { metadata?: any }> {
  readonly cache = new ObjectCache<T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private lastRv = '';
  private running?: Promise<void>;

  constructor(
    readonly client: ResourceClient<T>,
    private readonly o: InformerOptions,
  ) {}

  /** Adds handlers; when already synced, replays the cache to them as adds. */
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    if (this.synced && h.onAdd) for (const obj of this.cache.list()) h.onAdd(obj);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  start(signal: AbortSignal): Promise<void> {
    if (!this.running) this.running = this.run(signal);
    return this.running;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let backoff = this.o.backoffMs ?? 200;
    let needList = true;
    let resync: NodeJS.Timeout | undefined;
    if (this.o.resyncMs) {
      resync = setInterval(() => {
        for (const obj of this.cache.list()) for (const h of this.handlers) h.onUpdate?.(obj, obj);
      }, this.o.resyncMs);
      resync.unref?.();
    }
    try {
      while (!signal.aborted) {
        try {
          if (needList) {
            await this.list(signal);
            needList = false;
          }
          await this.client.watch(
            this.o.namespace,
            { signal, resourceVersion: this.lastRv, allowWatchBookmarks: true, labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
            (ev) => {
              backoff = this.o.backoffMs ?? 200;
              const rv = ev.object?.metadata?.resourceVersion;
              if (ev.type === 'BOOKMARK') {
                if (rv) this.lastRv = rv;
                return;
              }
              this.apply(ev.type, ev.object);
              if (rv) this.lastRv = rv;
            },
          );
        } catch (err) {
          if (isAbort(err, signal)) return;
          if (isGone(err)) {
            needList = true;
            continue;
          }
          this.o.log.debug('list/watch failed, backing off', { resource: this.client.gvr.plural, err, backoffMs: backoff });
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, this.o.maxBackoffMs ?? 10_000);
        }
      }
    } finally {
      if (resync) clearInterval(resync);
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list(this.o.namespace, { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector, limit: this.o.pageSize ?? 500, continue: cont });
      if (signal.aborted) return;
      for (const obj of page.items) {
        seen.add(keyOf(obj));
        this.apply('ADDED', obj);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    // Objects deleted while we were not watching: report them as deletes.
    for (const key of [...this.cache.keys()]) {
      if (!seen.has(key)) {
        const old = this.cache.delete(key)!;
        for (const h of this.handlers) h.onDelete?.(old);
      }
    }
    this.lastRv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private apply(type: string, obj: T): void {
    if (type === 'DELETED') {
      const old = this.cache.delete(keyOf(obj));
      for (const h of this.handlers) h.onDelete?.(old ?? obj);
      return;
    }
    const old = this.cache.set(obj);
    if (old) {
      if (old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
      for (const h of this.handlers) h.onUpdate?.(old, obj);
    } else {
      for (const h of this.handlers) h.onAdd?.(obj);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
