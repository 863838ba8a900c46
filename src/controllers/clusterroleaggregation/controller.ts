/**
 * ClusterRole aggregation, as kube-controller-manager's clusterrole-aggregation
 * controller: a ClusterRole with an aggregationRule gets as rules the union of the rules
 * of every other ClusterRole its selectors match (matched roles in name order, a rule
 * already present not repeated). Any ClusterRole change re-syncs every aggregated one.
 */
import { runWorkers } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/rest.js';
import { matchesSelector } from '../../client/selector.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';

/** The rules `role` aggregates from `all` (every ClusterRole). */
export function aggregatedRules(role: any, all: readonly any[]): any[] {
  const out: any[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const sel of role.aggregationRule?.clusterRoleSelectors ?? []) {
    for (const cr of sorted) {
      if (cr.metadata.name === role.metadata.name || !matchesSelector(sel, cr.metadata.labels ?? {})) continue;
      for (const r of cr.rules ?? []) {
        const k = JSON.stringify(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}

export class ClusterRoleAggregationController {
  static readonly NAME = 'clusterrole-aggregation';
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });

  constructor(private readonly ctx: ControllerContext) {
    const inf = ctx.informers.informer('clusterroles');
    const all = () => {
      for (const cr of inf.cache.list()) if (cr.aggregationRule) this.queue.add(cr.metadata.name);
    };
    inf.addHandlers({ onAdd: all, onUpdate: all, onDelete: all });
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.ctx.informers.informer('clusterroles').waitForSync(signal);
    await runWorkers({ name: ClusterRoleAggregationController.NAME, queue: this.queue, workers: 1, log: this.ctx.log, signal, sync: (key) => this.syncClusterRole(key) });
  }

  async syncClusterRole(name: string): Promise<void | { requeueAfterMs: number }> {
    const inf = this.ctx.informers.informer('clusterroles');
    const role = inf.cache.get(name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, inf.cache.list());
    if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
    const next = structuredClone(role);
    next.rules = rules;
    try {
      await this.ctx.cs.resource('clusterroles').update(next);
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 100 };
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
