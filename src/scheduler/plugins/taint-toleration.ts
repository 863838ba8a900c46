/**
 * TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod does
 * not tolerate; Score prefers nodes with fewer untolerated PreferNoSchedule taints.
 */
import { MAX_NODE_SCORE, Status, unresolvable, type FilterPlugin, type ScorePlugin } from '../framework/types.js';
import { firstUntolerated, toleratedByAll } from './tolerations.js';

export const NAME = 'TaintToleration';

export function create(): FilterPlugin & ScorePlugin {
  return {
    name: NAME,
    filter(_s, pod, ni) {
      const t = firstUntolerated(ni.node.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute']);
      if (!t) return Status.success();
      return unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`);
    },
    score(_s, pod, ni) {
      const tols = (pod.spec?.tolerations ?? []).filter((t: any) => !t.effect || t.effect === 'PreferNoSchedule');
      let n = 0;
      for (const t of ni.node.spec?.taints ?? []) if (t.effect === 'PreferNoSchedule' && !toleratedByAll(tols, t)) n++;
      return { score: n };
    },
    normalizeScore(_s, _pod, scores) {
      // Fewer intolerable taints is better: reverse the scale.
      const max = Math.max(0, ...scores.map((s) => s.score));
      for (const s of scores) s.score = max === 0 ? MAX_NODE_SCORE : MAX_NODE_SCORE - Math.floor((s.score * MAX_NODE_SCORE) / max);
      return Status.success();
    },
  };
}
