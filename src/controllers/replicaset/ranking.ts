/**
 * Which pods a ReplicaSet deletes first when scaling down (upstream's ActivePodsWithRanks):
 * unscheduled before scheduled, Pending before Unknown before Running, not ready before
 * ready, pods on nodes crowded with their siblings first, more recently ready first,
 * more restarts first, newer before older.
 */
import { isPodReady, podReadyCondition } from '../common/pods.js';

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(p: any): number {
  return (p.status?.containerStatuses ?? []).reduce((m: number, c: any) => Math.max(m, c.restartCount ?? 0), 0);
}

const ts = (s?: string) => (s ? Date.parse(s) : 0);

/** Returns the pods ordered so the first ones are the best to delete. */
export function rankForDeletion(pods: any[], related: any[]): any[] {
  const perNode = new Map<string, number>();
  for (const p of related) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const cmp = (a: any, b: any): number => {
    const an = a.spec?.nodeName ?? '';
    const bn = b.spec?.nodeName ?? '';
    if (!an !== !bn) return an ? 1 : -1;
    const ap = PHASE_RANK[a.status?.phase] ?? 0;
    const bp = PHASE_RANK[b.status?.phase] ?? 0;
    if (ap !== bp) return ap - bp;
    const ar = isPodReady(a);
    const br = isPodReady(b);
    if (ar !== br) return ar ? 1 : -1;
    const ac = perNode.get(an) ?? 0;
    const bc = perNode.get(bn) ?? 0;
    if (ac !== bc) return bc - ac;
    if (ar && br) {
      const at = ts(podReadyCondition(a)?.lastTransitionTime);
      const bt = ts(podReadyCondition(b)?.lastTransitionTime);
      if (at !== bt) return bt - at;
    }
    const rs = restarts(b) - restarts(a);
    if (rs) return rs;
    return ts(b.metadata?.creationTimestamp) - ts(a.metadata?.creationTimestamp);
  };
  return [...pods].sort(cmp);
}
