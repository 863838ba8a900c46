/**
 * NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity must match
 * (terms ORed, expressions ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on
 * metadata.name); Score sums the weights of matching preferred terms, normalised.
 */
import { MAX_NODE_SCORE, Status, skip, unresolvable, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework/types.js';

export const NAME = 'NodeAffinity';

function matchExpr(e: any, value: string | undefined, has: boolean): boolean {
  const vals: string[] = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return has && vals.includes(value!);
    case 'NotIn':
      return !has || !vals.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || vals.length !== 1) return false;
      const a = Number.parseInt(value!, 10);
      const b = Number.parseInt(vals[0], 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return e.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** One NodeSelectorTerm: all expressions and fields must match; an empty term matches nothing. */
export function matchesTerm(term: any, node: any): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata?.labels ?? {};
  for (const e of exprs) if (!matchExpr(e, labels[e.key], Object.prototype.hasOwnProperty.call(labels, e.key))) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false;
    if (!matchExpr(f, node.metadata?.name, true)) return false;
  }
  return true;
}

export function matchesNodeSelectorTerms(terms: any[], node: any): boolean {
  return terms.some((t) => matchesTerm(t, node));
}

/** nodeSelector and required node affinity, as the kubelet's admission also checks them. */
export function podMatchesNode(pod: any, node: any): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req && !matchesNodeSelectorTerms(req.nodeSelectorTerms ?? [], node)) return false;
  return true;
}

export function create(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    preFilter(_s, pod) {
      const has = Object.keys(pod.spec?.nodeSelector ?? {}).length || pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      return { status: has ? Status.success() : skip() };
    },
    preScore(_s, pod) {
      return (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length ? Status.success() : skip();
    },
    filter(_s, pod, ni) {
      return podMatchesNode(pod, ni.node) ? Status.success() : unresolvable("node(s) didn't match Pod's node affinity/selector");
    },
    score(_s, pod, ni) {
      let score = 0;
      for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (p.weight && matchesTerm(p.preference ?? {}, ni.node)) score += p.weight;
      }
      return { score };
    },
    normalizeScore(_s, _p, scores) {
      const max = Math.max(0, ...scores.map((s) => s.score));
      if (max > 0) for (const s of scores) s.score = Math.floor((s.score * MAX_NODE_SCORE) / max);
      return Status.success();
    },
  };
}
