/**
 * The namespace controller: a namespace being deleted (Terminating, with the
 * `kubernetes` finalizer in spec.finalizers) has everything in it deleted — every
 * namespaced kind found by discovery — and, once nothing is left, its finalizer removed
 * through the namespaces/finalize subresource so the API server can remove it. Progress
 * shows in the namespace's status conditions, as upstream.
 */
import type { Clientset, InformerFactory } from '../../client/clientset.js';
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { discoverResources } from '../../client/discovery.js';
import { isNotFound, isConflict } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Logger } from '../../util/log.js';

const FINALIZER = 'kubernetes';

export class NamespaceController {
  static readonly NAME = 'namespace-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 10_000 });

  constructor(private readonly ctx: { cs: Clientset; informers: InformerFactory; log: Logger }) {
    const wake = (ns: any) => {
      if (ns.metadata.deletionTimestamp) this.queue.add(keyOf(ns));
    };
    ctx.informers.informer('namespaces').addHandlers({ onAdd: wake, onUpdate: (_o, ns) => wake(ns) });
  }

  async start(signal: AbortSignal): Promise<void> {
    const inf = this.ctx.informers.informer('namespaces');
    await inf.waitForSync(signal);
    await runWorkers({ name: NamespaceController.NAME, queue: this.queue, workers: 2, log: this.ctx.log, signal, sync: (key) => this.sync(inf.cache.get(key)) });
  }

  private async sync(ns: any | undefined): Promise<void | { requeueAfterMs: number }> {
    if (!ns?.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(FINALIZER)) return;
    const name = ns.metadata.name;
    const rest = this.ctx.cs.rest;
    const resources = (await discoverResources(rest)).filter((r) => r.namespaced && r.verbs.includes('list'));
    const remaining: string[] = [];
    const failures: string[] = [];
    // Events last, like upstream's ordering concerns: they describe the deletions.
    resources.sort((a, b) => Number(a.plural === 'events') - Number(b.plural === 'events'));
    for (const r of resources) {
      const client = this.ctx.cs.resource(r);
      try {
        if (r.verbs.includes('deletecollection')) {
          await rest.request(client.path(name), { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
        }
        const left = await client.list(name, { limit: 500 });
        if (left.items.length) {
          if (!r.verbs.includes('deletecollection')) {
            for (const o of left.items) if (!o.metadata.deletionTimestamp) await client.delete(name, o.metadata.name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
          }
          remaining.push(`${r.plural}${r.group ? '.' + r.group : ''} has ${left.items.length} resource instances`);
        }
      } catch (err) {
        if (!isNotFound(err)) failures.push(`${r.plural}: ${(err as Error).message}`);
      }
    }
    await this.setConditions(ns, remaining, failures);
    if (remaining.length || failures.length) return { requeueAfterMs: 1000 };
    try {
      const finalizers = (ns.spec.finalizers as string[]).filter((f) => f !== FINALIZER);
      await rest.request(`/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, { method: 'PUT', body: { ...ns, spec: { ...ns.spec, finalizers } } });
      this.ctx.log.info('namespace emptied and finalized', { namespace: name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async setConditions(ns: any, remaining: string[], failures: string[]): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const prev: any[] = ns.status?.conditions ?? [];
    const cond = (type: string, on: boolean, reason: string, message: string) => {
      const old = prev.find((c) => c.type === type);
      const status = on ? 'True' : 'False';
      return { type, status, reason, message, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
    };
    const conditions = [
      cond('NamespaceDeletionDiscoveryFailure', false, 'ResourcesDiscovered', 'All resources successfully discovered'),
      cond('NamespaceDeletionGroupVersionParsingFailure', false, 'ParsedGroupVersions', 'All legacy kube types successfully parsed'),
      cond('NamespaceDeletionContentFailure', failures.length > 0, failures.length ? 'ContentDeletionFailed' : 'ContentDeleted', failures.length ? `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}` : 'All content successfully deleted, may be waiting on finalization'),
      cond('NamespaceContentRemaining', remaining.length > 0, remaining.length ? 'SomeResourcesRemain' : 'ContentRemoved', remaining.length ? `Some resources are remaining: ${remaining.join(', ')}` : 'All content successfully removed'),
    ];
    if (JSON.stringify(conditions.map((c) => [c.type, c.status, c.message])) === JSON.stringify(prev.map((c) => [c.type, c.status, c.message]))) return;
    try {
      await this.ctx.cs.resource('namespaces').patch(undefined, ns.metadata.name, 'merge', { status: { phase: 'Terminating', conditions } }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}
