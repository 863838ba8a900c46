/**
 * Which namespaces hold any object of one kind (ResourceQuota, LimitRange), from a cache
 * kept by a watch, so that a create in a namespace with none costs no store read — on a
 * remote store (etcd) a round trip per create. As the NamespaceCache, only the safe
 * answer comes from the cache: "none here" while the watch runs; otherwise (not started,
 * watch broken, or some present) the plugin reads the objects live. Upstream's plugins
 * read an informer's lister the same way, so a quota or limit range created a moment
 * before is missed no more often here than there.
 */
import type { Backend, WatchEvent } from '../../store/types.js';
import type { Logger } from '../../util/log.js';

export class PresenceCache {
  private readonly counts = new Map<string, number>();
  private readonly keys = new Set<string>();
  private readonly ac = new AbortController();
  private started?: Promise<void>;
  private running = false;

  constructor(
    private readonly backend: Backend,
    /** Key prefix of the kind, ending in "/": /registry/core/resourcequotas/ */
    private readonly prefix: string,
    private readonly log?: Logger,
  ) {}

  /** False only when the cache is sure the namespace holds none. */
  mayHave(namespace: string): boolean {
    if (!this.running) {
      if (!this.ac.signal.aborted) {
        this.started ??= this.start().catch((err) => {
          this.log?.warn('admission cache failed; objects are read from the store', { prefix: this.prefix, err });
          this.started = undefined;
        });
      }
      return true;
    }
    return (this.counts.get(namespace) ?? 0) > 0;
  }

  private async start(): Promise<void> {
    const list = await this.backend.list(this.prefix);
    for (const kv of list.kvs) this.apply('create', kv.key);
    await this.backend.watch(
      this.prefix,
      { afterRevision: list.revision, signal: this.ac.signal },
      (events) => {
        for (const e of events) this.apply(e.type, e.kv.key);
      },
      (err) => {
        this.running = false;
        this.counts.clear();
        this.keys.clear();
        this.started = undefined;
        this.log?.debug('admission cache watch ended; relisting on next use', { prefix: this.prefix, err });
      },
    );
    if (!this.ac.signal.aborted) this.running = true;
  }

  private apply(type: WatchEvent['type'], key: string): void {
    const ns = key.slice(this.prefix.length).split('/')[0];
    if (type === 'delete') {
      if (this.keys.delete(key)) this.counts.set(ns, (this.counts.get(ns) ?? 1) - 1);
    } else if (!this.keys.has(key)) {
      this.keys.add(key);
      this.counts.set(ns, (this.counts.get(ns) ?? 0) + 1);
    }
  }

  close(): void {
    this.running = false;
    this.ac.abort();
  }
}
