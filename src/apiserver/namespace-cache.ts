/**
 * Namespaces as the NamespaceLifecycle admission plugin sees them: from a cache kept by a
 * watch (upstream uses an informer), so that a create costs no extra store read — on a
 * remote store (etcd) that read is a network round trip per create. As upstream, only
 * what the cache can answer safely is answered from it: a namespace it holds as active.
 * A namespace it does not hold (just created, or not yet synced) or holds as terminating
 * is read live from the store, so a fresh namespace is usable at once and a terminating
 * one is judged on its current state.
 */
import type { Backend, WatchEvent } from '../store/types.js';
import type { Logger } from '../util/log.js';

const PREFIX = '/registry/core/namespaces/';

export class NamespaceCache {
  private readonly active = new Set<string>();
  private readonly ac = new AbortController();
  private started?: Promise<void>;
  private running = false;

  constructor(
    private readonly backend: Backend,
    private readonly log?: Logger,
  ) {}

  /** True when the cache knows `name` as an existing namespace that is not terminating. */
  isActive(name: string): boolean {
    if (!this.running) {
      this.started ??= this.start().catch((err) => {
        this.log?.warn('namespace cache failed; namespaces are read from the store', { err });
        this.started = undefined;
      });
      return false;
    }
    return this.active.has(name);
  }

  private async start(): Promise<void> {
    const list = await this.backend.list(PREFIX);
    for (const kv of list.kvs) this.apply('create', kv.key, kv.value);
    await this.backend.watch(
      PREFIX,
      { afterRevision: list.revision, signal: this.ac.signal },
      (events) => {
        for (const e of events) this.applyEvent(e);
      },
      (err) => {
        // Watch gone (compacted while behind, say): forget everything and start over.
        this.running = false;
        this.active.clear();
        this.started = undefined;
        this.log?.debug('namespace cache watch ended; relisting on next use', { err });
      },
    );
    if (!this.ac.signal.aborted) this.running = true;
  }

  private applyEvent(e: WatchEvent): void {
    this.apply(e.type, e.kv.key, e.kv.value);
  }

  private apply(type: WatchEvent['type'], key: string, value: string): void {
    const name = key.slice(PREFIX.length);
    if (type === 'delete') {
      this.active.delete(name);
      return;
    }
    let ns: any;
    try {
      ns = JSON.parse(value);
    } catch {
      this.active.delete(name);
      return;
    }
    if (ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') this.active.delete(name);
    else this.active.add(name);
  }

  close(): void {
    this.running = false;
    this.ac.abort();
  }
}
