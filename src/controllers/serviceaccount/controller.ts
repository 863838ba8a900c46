/**
 * The ServiceAccount controller: every namespace has a `default` ServiceAccount, created
 * when the namespace appears and re-created when someone deletes it, as upstream's
 * serviceaccounts-controller does. Namespaces being deleted are left alone.
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { isAlreadyExists, isForbidden } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';

/** The ServiceAccounts every namespace gets (upstream's default list). */
export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export class ServiceAccountController {
  static readonly NAME = 'serviceaccount-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });

  constructor(private readonly ctx: ControllerContext) {
    const nsKey = (ns: any) => this.queue.add(keyOf(ns));
    ctx.informers.informer('namespaces').addHandlers({ onAdd: nsKey, onUpdate: (_o, ns) => nsKey(ns) });
    ctx.informers.informer('serviceaccounts').addHandlers({
      onDelete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name)) this.queue.add(sa.metadata.namespace);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    const [nsInf, saInf] = [informers.informer('namespaces'), informers.informer('serviceaccounts')];
    await Promise.all([nsInf.waitForSync(signal), saInf.waitForSync(signal)]);
    await runWorkers({ name: ServiceAccountController.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => this.syncNamespace(key) });
  }

  /** Creates the namespace's missing default ServiceAccounts. */
  async syncNamespace(name: string): Promise<void> {
    const { cs, informers } = this.ctx;
    const ns = informers.informer('namespaces').cache.get(name);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const saCache = informers.informer('serviceaccounts').cache;
    for (const sa of DEFAULT_SERVICE_ACCOUNTS) {
      if (saCache.get(`${name}/${sa}`)) continue;
      try {
        await cs.resource('serviceaccounts').create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: name } });
      } catch (err) {
        // Already there (the cache lags) is fine; a namespace that started terminating
        // meanwhile refuses creates with 403 Forbidden, which the next event settles.
        if (isAlreadyExists(err) || isForbidden(err)) continue;
        throw err;
      }
    }
  }
}
