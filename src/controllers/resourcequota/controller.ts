/**
 * The resource quota controller, as upstream's: keeps every ResourceQuota's status —
 * hard mirrored from spec, used recomputed from what is stored in the namespace — on a
 * quota's spec change, when a counted object is deleted or (pods) finishes, and
 * periodically (upstream's --resource-quota-sync-period, 5 minutes), so usage that
 * admission reserved for a create that never got stored is given back too.
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/rest.js';
import type { GVR } from '../../client/resource.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { calculateUsage, kindsOfQuota } from './usage.js';

export const RESOURCE_QUOTAS: GVR = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true };
/** Kinds watched for replenishment (their deletes give quota back at once). */
const WATCHED: GVR[] = [
  { group: '', version: 'v1', plural: 'pods', namespaced: true },
  { group: '', version: 'v1', plural: 'services', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
];
const FINISHED = new Set(['Succeeded', 'Failed']);

export interface ResourceQuotaOptions {
  resyncPeriodMs: number;
}

export class ResourceQuotaController {
  static readonly NAME = 'resourcequota-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });
  private readonly o: ResourceQuotaOptions;

  constructor(
    private readonly ctx: ControllerContext,
    o: Partial<ResourceQuotaOptions> = {},
  ) {
    this.o = { resyncPeriodMs: 5 * 60_000, ...o };
    const quotas = ctx.informers.informer(RESOURCE_QUOTAS);
    // As upstream, status updates (admission's reservations, our own writes) do not re-queue
    // a quota: recomputing from the store then could undo a reservation whose object is
    // not stored yet. Only a changed spec does, besides the periodic resync.
    quotas.addHandlers({ onAdd: (q) => this.queue.add(keyOf(q)), onUpdate: (old, q) => JSON.stringify(old.spec) !== JSON.stringify(q.spec) && this.queue.add(keyOf(q)) });
    for (const gvr of WATCHED) {
      const inf = ctx.informers.informer(gvr);
      const touch = (obj: any) => this.enqueueNamespace(obj.metadata?.namespace);
      // Replenishment: creates are counted by admission; deletes and finished pods give back.
      inf.addHandlers({
        onDelete: touch,
        // Updates that can lower usage: a pod finishing, a service changing type, a claim's size.
        onUpdate: (old, cur) => {
          if (replenishes(gvr.plural, old, cur)) touch(cur);
        },
      });
    }
  }

  private enqueueNamespace(ns: string | undefined): void {
    if (!ns) return;
    for (const q of this.ctx.informers.informer(RESOURCE_QUOTAS).cache.list(ns)) this.queue.add(keyOf(q));
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    await Promise.all([RESOURCE_QUOTAS, ...WATCHED].map((g) => informers.informer(g).waitForSync(signal)));
    const timer = setInterval(() => {
      for (const q of informers.informer(RESOURCE_QUOTAS).cache.list()) this.queue.add(keyOf(q));
    }, this.o.resyncPeriodMs);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    await runWorkers({ name: ResourceQuotaController.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => this.syncResourceQuota(key) });
  }

  /** Recomputes one quota's status and writes it when it changed. */
  async syncResourceQuota(key: string): Promise<void> {
    const { cs, informers } = this.ctx;
    const quota = informers.informer(RESOURCE_QUOTAS).cache.get(key);
    if (!quota) return;
    const ns = quota.metadata.namespace;
    const listed = new Map<string, any[]>();
    for (const { group, plural } of kindsOfQuota(quota)) {
      const watched = WATCHED.find((g) => g.group === group && g.plural === plural);
      if (watched) listed.set(`${group}/${plural}`, informers.informer(watched).cache.list(ns));
      else {
        // Kinds without an informer here (count/<resource>.<group>): read them from the API.
        try {
          const gvr: GVR = { group, version: group ? await this.preferredVersion(group) : 'v1', plural, namespaced: true };
          listed.set(`${group}/${plural}`, (await cs.resource(gvr).list(ns)).items);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          listed.set(`${group}/${plural}`, []);
        }
      }
    }
    const now = new Date(this.ctx.now?.() ?? Date.now());
    const used = calculateUsage(quota, (g, p) => listed.get(`${g}/${p}`) ?? [], now);
    const hard = { ...(quota.spec?.hard ?? {}) };
    if (JSON.stringify(quota.status?.hard ?? {}) === JSON.stringify(sorted(hard)) && JSON.stringify(quota.status?.used ?? {}) === JSON.stringify(used)) return;
    try {
      await cs.resource(RESOURCE_QUOTAS).updateStatus({ ...quota, status: { hard: sorted(hard), used } });
    } catch (err) {
      // Admission reserved meanwhile: recompute from the newer quota shortly.
      if (isConflict(err)) return this.queue.addAfter(key, 100);
      if (!isNotFound(err)) throw err;
    }
  }

  private async preferredVersion(group: string): Promise<string> {
    const r: any = await this.ctx.cs.rest.request(`/apis/${group}`);
    return r?.preferredVersion?.version ?? r?.versions?.[0]?.version ?? 'v1';
  }
}

function replenishes(plural: string, old: any, cur: any): boolean {
  switch (plural) {
    case 'pods':
      return FINISHED.has(cur.status?.phase) !== FINISHED.has(old.status?.phase) || (!old.metadata.deletionTimestamp && !!cur.metadata.deletionTimestamp);
    case 'services':
      return (old.spec?.type ?? 'ClusterIP') !== (cur.spec?.type ?? 'ClusterIP') || (old.spec?.ports ?? []).length !== (cur.spec?.ports ?? []).length;
    case 'persistentvolumeclaims':
      return old.spec?.resources?.requests?.storage !== cur.spec?.resources?.requests?.storage;
  }
  return false;
}

function sorted(list: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(list).sort().map((k) => [k, list[k]]));
}
