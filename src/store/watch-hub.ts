/**
 * Watch fan-out for the in-process backends: a watch first replays the log after its
 * start revision, then receives live events, with no gap or duplicate because both are
 * taken in the same synchronous step. Delivery is asynchronous and batched per watcher,
 * so a slow consumer never blocks a writer; idle watchers get progress notifications.
 */
import type { Mvcc } from './mvcc.js';
import type { WatchEvent, WatchOptions } from './types.js';

interface Watcher {
  prefix: string;
  pending: WatchEvent[];
  scheduled: boolean;
  delivered: number;
  onEvents: (events: WatchEvent[]) => void;
  onProgress?: (revision: number) => void;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly mvcc: Mvcc,
    progressMs = 1000,
  ) {
    this.timer = setInterval(() => this.progress(), progressMs);
    this.timer.unref?.();
  }

  get size(): number {
    return this.watchers.size;
  }

  watch(prefix: string, opts: WatchOptions, onEvents: (events: WatchEvent[]) => void): void {
    const backlog = this.mvcc.eventsAfter(prefix, opts.afterRevision); // throws CompactedError
    const w: Watcher = { prefix, pending: backlog, scheduled: false, delivered: opts.afterRevision, onEvents, onProgress: opts.onProgress };
    if (opts.signal.aborted) return;
    this.watchers.add(w);
    opts.signal.addEventListener('abort', () => this.watchers.delete(w), { once: true });
    if (backlog.length) this.schedule(w);
  }

  /** Called after a commit with its events, in revision order. */
  publish(events: WatchEvent[]): void {
    if (!this.watchers.size) return;
    for (const w of this.watchers) {
      let added = false;
      for (const e of events) {
        if (e.revision > w.delivered && e.kv.key.startsWith(w.prefix)) {
          w.pending.push(e);
          added = true;
        }
      }
      if (added) this.schedule(w);
    }
  }

  private schedule(w: Watcher): void {
    if (w.scheduled) return;
    w.scheduled = true;
    setImmediate(() => {
      w.scheduled = false;
      if (!this.watchers.has(w) || !w.pending.length) return;
      const batch = w.pending;
      w.pending = [];
      w.delivered = batch[batch.length - 1].revision;
      w.onEvents(batch);
    });
  }

  private progress(): void {
    const rev = this.mvcc.revision;
    for (const w of this.watchers) {
      if (w.pending.length || w.scheduled) continue;
      if (w.delivered < rev) w.delivered = rev;
      w.onProgress?.(rev);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.watchers.clear();
  }
}
