/**
 * The message kube-scheduler gives an unschedulable pod (FitError): per-node rejection
 * reasons counted and sorted, e.g.
 *   0/5 nodes are available: 2 Insufficient memory, 3 node(s) had untolerated taint {a: b}.
 * followed by the preemption outcome when preemption ran. When a PreFilter plugin rejected
 * the pod, its message replaces the per-node histogram (every node has the same status):
 *   0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: ...
 */
import type { Status } from './framework/types.js';

export function fitErrorMessage(numNodes: number, statuses: Map<string, Status>, postFilterMsg?: string, preFilterMsg?: string): string {
  if (preFilterMsg) return `0/${numNodes} nodes are available: ${preFilterMsg}.${postFilterMsg ? ` ${postFilterMsg}` : ''}`;
  const hist = new Map<string, number>();
  for (const st of statuses.values()) for (const r of st.reasons) hist.set(r, (hist.get(r) ?? 0) + 1);
  const parts = [...hist].map(([r, n]) => `${n} ${r}`).sort();
  let msg = `0/${numNodes} nodes are available: ${parts.join(', ')}.`;
  if (!parts.length) msg = `0/${numNodes} nodes are available.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}
