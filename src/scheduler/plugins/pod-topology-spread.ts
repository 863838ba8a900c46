/**
 * PodTopologySpread. For each constraint, pods matching its selector (in the pod's
 * namespace) are counted per topology domain over the eligible nodes (those passing the
 * pod's nodeSelector/required node affinity and having the key). Filter
 * (DoNotSchedule): placing the pod must keep count(domain)+1 − min(counts) ≤ maxSkew, where
 * min is 0 while fewer than minDomains domains exist. Worked example: zones a:2 b:0 c:1,
 * maxSkew 1 → zone a gives 3−0=3 > 1 (rejected), b gives 1−0=1 (fits).
 * Score (ScheduleAnyway, and the cluster default that spreads one owner's replicas over
 * hostnames with maxSkew 3 and zones with maxSkew 5): fewer matching pods is better.
 */
import { matchesSelector } from '../../client/selector.js';
import { MAX_NODE_SCORE, Status, skip, unresolvable, unschedulable, type FilterPlugin, type PluginHandle, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework/types.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodIndex } from '../pod-index.js';
import { podMatchesNode } from './node-affinity.js';
import { controllerRef } from '../../controllers/common/pods.js';

export const NAME = 'PodTopologySpread';

interface Constraint {
  /** The label selector (undefined for the owner-based cluster default). */
  selector?: any;
  /** For the cluster default: the controller whose replicas are spread. */
  ownerUid?: string;
  namespace: string;
  maxSkew: number;
  topologyKey: string;
  hard: boolean;
  minDomains: number;
  matches: (p: any) => boolean;
  selfMatch: boolean;
}

interface Counts {
  c: Constraint;
  byDomain: Map<string, number>;
  min: number;
}

export const SYSTEM_DEFAULT_CONSTRAINTS = [
  { maxSkew: 3, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
];

function constraintsOf(pod: any, hard: boolean, defaults: any[]): Constraint[] {
  const ns = pod.metadata.namespace;
  const explicit = pod.spec?.topologySpreadConstraints ?? [];
  const out: Constraint[] = [];
  if (explicit.length) {
    for (const t of explicit) {
      if ((t.whenUnsatisfiable === 'DoNotSchedule') !== hard) continue;
      const sel = structuredClone(t.labelSelector ?? {});
      for (const k of t.matchLabelKeys ?? []) {
        const v = pod.metadata.labels?.[k];
        if (v !== undefined) (sel.matchExpressions ??= []).push({ key: k, operator: 'In', values: [v] });
      }
      const matches = (p: any) => p.metadata.namespace === ns && matchesSelector(sel, p.metadata.labels);
      out.push({ selector: sel, namespace: ns, maxSkew: t.maxSkew ?? 1, topologyKey: t.topologyKey, hard, minDomains: t.minDomains ?? 1, matches, selfMatch: matches(pod) });
    }
    return out;
  }
  if (hard) return out;
  // Cluster default: spread the replicas of the pod's controller.
  const ref = controllerRef(pod);
  if (!ref) return out;
  const matches = (p: any) => p.metadata.namespace === ns && controllerRef(p)?.uid === ref.uid;
  for (const d of defaults) out.push({ ownerUid: ref.uid, namespace: ns, maxSkew: d.maxSkew, topologyKey: d.topologyKey, hard: false, minDomains: 1, matches, selfMatch: true });
  return out;
}

function count(cs: Constraint[], pod: any, nodes: NodeInfo[], index?: PodIndex): Counts[] {
  return cs.map((c) => {
    const byDomain = new Map<string, number>();
    const eligible = new Set<string>();
    for (const ni of nodes) {
      const v = ni.node.metadata?.labels?.[c.topologyKey];
      if (v === undefined || !podMatchesNode(pod, ni.node)) continue;
      eligible.add(ni.name);
      if (!byDomain.has(v)) byDomain.set(v, 0);
      if (index && (c.selector || c.ownerUid)) continue;
      let n = 0;
      for (const pi of ni.pods.values()) if (!pi.pod.metadata.deletionTimestamp && c.matches(pi.pod)) n++;
      byDomain.set(v, byDomain.get(v)! + n);
    }
    if (index && c.ownerUid && !c.selector) {
      // Indexed: the controller's pods are counted per node already.
      const byName = new Map(nodes.map((n) => [n.name, n]));
      for (const [node, n] of index.ownerCounts(c.ownerUid)) {
        if (!eligible.has(node)) continue;
        const v = byName.get(node)!.node.metadata.labels[c.topologyKey];
        byDomain.set(v, (byDomain.get(v) ?? 0) + n);
      }
    } else if (index && c.selector) {
      // Indexed: visit only the pods the selector can match.
      const byName = new Map(nodes.map((n) => [n.name, n]));
      for (const e of index.matching([c.namespace], c.selector)) {
        if (!eligible.has(e.node) || e.pod.metadata.deletionTimestamp) continue;
        const v = byName.get(e.node)!.node.metadata.labels[c.topologyKey];
        byDomain.set(v, (byDomain.get(v) ?? 0) + 1);
      }
    }
    let min = byDomain.size ? Math.min(...byDomain.values()) : 0;
    if (byDomain.size < c.minDomains) min = 0;
    return { c, byDomain, min };
  });
}

export function create(args: { defaultConstraints?: any[] } = {}, h: PluginHandle & { podIndex?: PodIndex }): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const defaults = args.defaultConstraints ?? SYSTEM_DEFAULT_CONSTRAINTS;
  return {
    name: NAME,
    preFilter(state, pod, nodes) {
      const cs = constraintsOf(pod, true, defaults);
      if (!cs.length) return { status: skip() };
      state.write(NAME, count(cs, pod, nodes, h.podIndex));
      return { status: Status.success() };
    },
    filter(state, _pod, ni) {
      const counts = state.read<Counts[]>(NAME) ?? [];
      for (const k of counts) {
        const v = ni.node.metadata?.labels?.[k.c.topologyKey];
        if (v === undefined) return unresolvable("node(s) didn't match pod topology spread constraints (missing required label)");
        const skew = (k.byDomain.get(v) ?? 0) + (k.c.selfMatch ? 1 : 0) - k.min;
        if (skew > k.c.maxSkew) return unschedulable("node(s) didn't match pod topology spread constraints");
      }
      return Status.success();
    },
    preScore(state, pod, _nodes) {
      const cs = constraintsOf(pod, false, defaults);
      if (!cs.length) return skip();
      state.write(`${NAME}/score`, count(cs, pod, h.nodes(), h.podIndex));
      return Status.success();
    },
    score(state, _pod, ni) {
      const counts = state.read<Counts[]>(`${NAME}/score`) ?? [];
      let s = 0;
      for (const k of counts) {
        const v = ni.node.metadata?.labels?.[k.c.topologyKey];
        if (v === undefined) continue;
        // Weight by log(domains + 2) as upstream, so keys with more domains matter more.
        s += ((k.byDomain.get(v) ?? 0) + k.c.maxSkew - 1) * Math.log(k.byDomain.size + 2);
      }
      return { score: Math.round(s) };
    },
    normalizeScore(state, _p, list) {
      const counts = state.read<Counts[]>(`${NAME}/score`) ?? [];
      if (!counts.length) {
        for (const x of list) x.score = 0;
        return Status.success();
      }
      const max = Math.max(...list.map((x) => x.score));
      const min = Math.min(...list.map((x) => x.score));
      for (const x of list) x.score = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - x.score)) / max);
      return Status.success();
    },
  };
}
