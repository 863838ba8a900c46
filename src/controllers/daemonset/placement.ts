/**
 * Where a DaemonSet runs: nodes whose labels match the template's nodeSelector and
 * required node affinity and whose NoSchedule/NoExecute taints the pod tolerates —
 * counting the tolerations every daemon pod gets (not-ready, unreachable, pressure
 * conditions, unschedulable), as upstream adds them.
 */
import { podMatchesNode } from '../../scheduler/plugins/node-affinity.js';
import { firstUntolerated } from '../../scheduler/plugins/tolerations.js';

export const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export function withDaemonTolerations(tolerations: any[] | undefined): any[] {
  const out = [...(tolerations ?? [])];
  for (const t of DAEMON_TOLERATIONS) if (!out.some((x) => x.key === t.key && x.effect === t.effect)) out.push(t);
  return out;
}

export function shouldRunOn(ds: any, node: any): boolean {
  const pod = { spec: { ...ds.spec.template.spec, tolerations: withDaemonTolerations(ds.spec.template.spec?.tolerations) } };
  if (!podMatchesNode(pod, node)) return false;
  return !firstUntolerated(node.spec?.taints, pod.spec.tolerations, ['NoSchedule', 'NoExecute']);
}

/** The template's node affinity with the node pinned by matchFields metadata.name (as upstream's ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function pinToNode(affinity: any, nodeName: string): any {
  const pin = { key: 'metadata.name', operator: 'In', values: [nodeName] };
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const newTerms = terms.length ? terms.map((t: any) => ({ ...t, matchFields: [pin] })) : [{ matchFields: [pin] }];
  return { ...(affinity ?? {}), nodeAffinity: { ...(affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: newTerms } } };
}

/** The node a daemon pod is for: its nodeName once bound, else the pinned matchFields value. */
export function nodeOfPod(pod: any): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const t of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.values?.length === 1) return f.values[0];
  return undefined;
}

/** Resolves an int-or-percent against total; percentages round up (maxUnavailable/maxSurge for DaemonSets). */
export function intOrPercent(v: number | string | undefined, total: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v) || 0;
}
