/**
 * Runs a reconcile function over a work queue with N workers, the way client-go
 * controllers do: success forgets the key (or re-queues it after `requeueAfterMs`), a
 * TerminalError forgets it, any other error re-queues it with backoff.
 */
import type { Logger } from '../util/log.js';
import { isAbort, TerminalError } from './errors.js';
import type { WorkQueue } from './workqueue.js';

export type SyncResult = void | { requeueAfterMs?: number };

export interface RunWorkersOptions {
  name: string;
  queue: WorkQueue;
  workers: number;
  sync: (key: string) => Promise<SyncResult>;
  log: Logger;
  signal: AbortSignal;
}

export async function runWorkers(o: RunWorkersOptions): Promise<void> {
  const onAbort = () => o.queue.shutDown();
  o.signal.addEventListener('abort', onAbort, { once: true });
  const worker = async () => {
    for (;;) {
      const key = await o.queue.get();
      if (key === undefined) return;
      try {
        const r = await o.sync(key);
        o.queue.forget(key);
        if (r && r.requeueAfterMs !== undefined) o.queue.addAfter(key, r.requeueAfterMs);
      } catch (err) {
        if (isAbort(err, o.signal)) {
          // shutting down: not a failure
        } else if (err instanceof TerminalError) {
          o.queue.forget(key);
          o.log.warn('sync failed permanently', { controller: o.name, key, err });
        } else {
          o.log.debug('sync failed, will retry', { controller: o.name, key, err, retries: o.queue.numRequeues(key) });
          o.queue.addRateLimited(key);
        }
      } finally {
        o.queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: o.workers }, worker));
  o.signal.removeEventListener('abort', onAbort);
}
