/**
 * InterPodAffinity. Filter: (1) no existing pod's required anti-affinity may forbid the
 * incoming pod in the node's topology domain; (2) each of the incoming pod's required
 * affinity terms needs a matching pod in the node's domain — unless no pod anywhere
 * matches and the pod matches its own term (the first of a group); (3) none of its
 * required anti-affinity terms may match a pod in the domain. Score: preferred terms of
 * both sides (and existing pods' required affinity at weight 1), min-max normalised.
 * PreFilter counts once per cycle, per "topologyKey=value", so each node is O(terms).
 */
import { MAX_NODE_SCORE, Status, skip, unresolvable, unschedulable, type FilterPlugin, type PluginHandle, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework/types.js';
import type { CycleState } from '../framework/cycle-state.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodIndex } from '../pod-index.js';
import { preferredAffinityTerms, preferredAntiAffinityTerms, requiredAffinityTerms, requiredAntiAffinityTerms, termMatchesPod, termOf, type Term } from './affinity-terms.js';

export const NAME = 'InterPodAffinity';

interface PreState {
  existingAnti: Map<string, number>;
  affinity: { term: Term; counts: Map<string, number> }[];
  anti: { term: Term; counts: Map<string, number> }[];
  affinityMatchesNothing: boolean;
  podMatchesOwnAffinity: boolean;
}

const dom = (key: string, node: any) => {
  const v = node.metadata?.labels?.[key];
  return v === undefined ? undefined : `${key}=${v}`;
};
const inc = (m: Map<string, number>, k: string | undefined, by = 1) => {
  if (k !== undefined) m.set(k, (m.get(k) ?? 0) + by);
};

export function create(_args: unknown, h: PluginHandle & { namespaceLabels?: (ns: string) => Record<string, string> | undefined; podIndex?: PodIndex }): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const nsLabels = (ns: string) => h.namespaceLabels?.(ns);
  return {
    name: NAME,
    preFilter(state: CycleState, pod, nodes: NodeInfo[]) {
      const ns = pod.metadata.namespace;
      if (!requiredAffinityTerms(pod).length && !requiredAntiAffinityTerms(pod).length && !nodes.some((n) => n.podsWithAffinity.size)) return { status: skip() };
      const affinity = requiredAffinityTerms(pod).map((t: any) => ({ term: termOf(t, ns, nsLabels), counts: new Map<string, number>() }));
      const anti = requiredAntiAffinityTerms(pod).map((t: any) => ({ term: termOf(t, ns, nsLabels), counts: new Map<string, number>() }));
      const existingAnti = new Map<string, number>();
      let matchedAny = false;
      const idx = h.podIndex;
      if (idx) {
        // Indexed: each distinct anti-affinity term of placed pods once, and only the pods
        // carrying a term's first label for the incoming pod's own terms.
        for (const a of idx.antiAffinityTerms()) {
          if (!termMatchesPod(termOf(a.term, a.namespace, nsLabels), pod)) continue;
          for (const [node, n] of a.nodes) {
            const ni = h.nodeInfo(node);
            if (ni) inc(existingAnti, dom(a.term.topologyKey, ni.node), n);
          }
        }
        for (const [list, isAffinity] of [[affinity, true], [anti, false]] as const) {
          for (const a of list) {
            const nsSet = a.term.namespaces instanceof Set ? a.term.namespaces : 'all';
            for (const e of idx.matching(nsSet, a.term.selector)) {
              if (!termMatchesPod(a.term, e.pod)) continue;
              const ni = h.nodeInfo(e.node);
              if (!ni) continue;
              if (isAffinity) matchedAny = true;
              inc(a.counts, dom(a.term.topologyKey, ni.node));
            }
          }
        }
      } else {
        for (const ni of nodes) {
          if (ni.podsWithAffinity.size) {
            for (const uid of ni.podsWithAffinity) {
              const ep = ni.pods.get(uid)!.pod;
              for (const t of requiredAntiAffinityTerms(ep)) if (termMatchesPod(termOf(t, ep.metadata.namespace, nsLabels), pod)) inc(existingAnti, dom(t.topologyKey, ni.node));
            }
          }
          if (!affinity.length && !anti.length) continue;
          for (const pi of ni.pods.values()) {
            for (const a of affinity)
              if (termMatchesPod(a.term, pi.pod)) {
                matchedAny = true;
                inc(a.counts, dom(a.term.topologyKey, ni.node));
              }
            for (const a of anti) if (termMatchesPod(a.term, pi.pod)) inc(a.counts, dom(a.term.topologyKey, ni.node));
          }
        }
      }
      const st: PreState = {
        existingAnti,
        affinity,
        anti,
        affinityMatchesNothing: !matchedAny,
        podMatchesOwnAffinity: affinity.every((a: { term: Term }) => termMatchesPod(a.term, pod)),
      };
      state.write(NAME, st);
      return { status: Status.success() };
    },
    filter(state, _pod, ni) {
      // Upstream's order: the pod's affinity, its anti-affinity, then existing pods' anti-affinity.
      const st = state.read<PreState>(NAME)!;
      if (st.affinity.length) {
        const ok = st.affinity.every((a) => {
          const d = dom(a.term.topologyKey, ni.node);
          return d !== undefined && (a.counts.get(d) ?? 0) > 0;
        });
        if (!ok) {
          const firstOfGroup = st.affinityMatchesNothing && st.podMatchesOwnAffinity && st.affinity.every((a) => dom(a.term.topologyKey, ni.node) !== undefined);
          if (!firstOfGroup) return unresolvable("node(s) didn't match pod affinity rules");
        }
      }
      for (const a of st.anti) {
        const d = dom(a.term.topologyKey, ni.node);
        if (d !== undefined && (a.counts.get(d) ?? 0) > 0) return unschedulable("node(s) didn't match pod anti-affinity rules");
      }
      for (const [d, n] of st.existingAnti) if (n > 0 && ni.node.metadata?.labels?.[d.slice(0, d.indexOf('='))] === d.slice(d.indexOf('=') + 1)) return unschedulable("node(s) didn't satisfy existing pods anti-affinity rules");
      return Status.success();
    },
    preScore(state, pod, nodes) {
      const ns = pod.metadata.namespace;
      const idx = h.podIndex;
      const symmetric = idx ? idx.scoring.size > 0 : h.nodes().some((n) => n.podsWithAffinity.size);
      if (!preferredAffinityTerms(pod).length && !preferredAntiAffinityTerms(pod).length && !symmetric) return skip();
      const pref = [
        ...preferredAffinityTerms(pod).map((p: any) => termOf(p.podAffinityTerm ?? {}, ns, nsLabels, p.weight)),
        ...preferredAntiAffinityTerms(pod).map((p: any) => termOf(p.podAffinityTerm ?? {}, ns, nsLabels, -p.weight)),
      ];
      const scores = new Map<string, number>();
      // Pods on every node count, not only on the feasible ones: domains span nodes.
      void nodes;
      const symmetry = (ep: any, node: any) => {
        const ens = ep.metadata.namespace;
        for (const t of requiredAffinityTerms(ep)) if (termMatchesPod(termOf(t, ens, nsLabels), pod)) inc(scores, dom(t.topologyKey, node), 1);
        for (const p of preferredAffinityTerms(ep)) if (termMatchesPod(termOf(p.podAffinityTerm ?? {}, ens, nsLabels), pod)) inc(scores, dom(p.podAffinityTerm?.topologyKey, node), p.weight);
        for (const p of preferredAntiAffinityTerms(ep)) if (termMatchesPod(termOf(p.podAffinityTerm ?? {}, ens, nsLabels), pod)) inc(scores, dom(p.podAffinityTerm?.topologyKey, node), -p.weight);
      };
      if (idx) {
        for (const t of pref) {
          const nsSet = t.namespaces instanceof Set ? t.namespaces : 'all';
          for (const e of idx.matching(nsSet, t.selector)) {
            const ni = h.nodeInfo(e.node);
            if (ni && termMatchesPod(t, e.pod)) inc(scores, dom(t.topologyKey, ni.node), t.weight);
          }
        }
        for (const e of idx.scoring.values()) {
          const ni = h.nodeInfo(e.node);
          if (ni) symmetry(e.pod, ni.node);
        }
      } else {
        for (const ni of h.nodes()) {
          if (pref.length) for (const pi of ni.pods.values()) for (const t of pref) if (termMatchesPod(t, pi.pod)) inc(scores, dom(t.topologyKey, ni.node), t.weight);
          for (const uid of ni.podsWithAffinity) symmetry(ni.pods.get(uid)!.pod, ni.node);
        }
      }
      state.write(`${NAME}/score`, scores);
      return Status.success();
    },
    score(state, _pod, ni) {
      const scores = state.read<Map<string, number>>(`${NAME}/score`);
      if (!scores || !scores.size) return { score: 0 };
      let s = 0;
      for (const [d, v] of scores) {
        const i = d.indexOf('=');
        if (ni.node.metadata?.labels?.[d.slice(0, i)] === d.slice(i + 1)) s += v;
      }
      return { score: s };
    },
    normalizeScore(_s, _p, list) {
      const max = Math.max(...list.map((x) => x.score));
      const min = Math.min(...list.map((x) => x.score));
      for (const x of list) x.score = max === min ? 0 : Math.floor((MAX_NODE_SCORE * (x.score - min)) / (max - min));
      return Status.success();
    },
  };
}
