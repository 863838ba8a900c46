/**
 * Where a DaemonSet runs (upstream's NodeShouldRunDaemonPod): a node must match the
 * template's nodeName, nodeSelector and required node affinity, and the pod — with the
 * tolerations every daemon pod gets — must tolerate the node's NoSchedule and NoExecute
 * taints. Two answers, as upstream: `shouldRun` (a pod should be created there) and
 * `shouldContinueRunning` (an existing pod may stay: a NoSchedule taint added after the
 * pod started does not evict it, an untolerated NoExecute taint does).
 */
import { podMatchesNode } from '../../scheduler/plugins/node-affinity.js';
import { firstUntolerated } from '../../scheduler/plugins/tolerations.js';

/** AddOrUpdateDaemonPodTolerations: daemons keep running through node trouble. */
export const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
/** Only host-network daemons (CNI plugins and the like) run before the node's network is up. */
export const NETWORK_UNAVAILABLE_TOLERATION = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

export function withDaemonTolerations(tolerations: any[] | undefined, hostNetwork = false): any[] {
  const out = [...(tolerations ?? [])];
  const wanted = hostNetwork ? [...DAEMON_TOLERATIONS, NETWORK_UNAVAILABLE_TOLERATION] : DAEMON_TOLERATIONS;
  // Same key and effect replaces nothing the user wrote: theirs wins (v1helper.AddOrUpdateTolerationInPod keeps an equal one).
  for (const t of wanted) if (!out.some((x) => x.key === t.key && x.effect === t.effect && (x.operator ?? 'Equal') === t.operator)) out.push(t);
  return out;
}

export interface Placement {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

export function nodeShouldRunDaemonPod(ds: any, node: any): Placement {
  const spec = ds.spec.template?.spec ?? {};
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return no;
  if (!podMatchesNode({ spec }, node)) return no;
  const tolerations = withDaemonTolerations(spec.tolerations, !!spec.hostNetwork);
  if (!firstUntolerated(node.spec?.taints, tolerations, ['NoSchedule', 'NoExecute'])) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !firstUntolerated(node.spec?.taints, tolerations, ['NoExecute']) };
}

/** The template's node affinity with the node pinned by matchFields metadata.name (upstream's ReplaceDaemonSetPodNodeNameNodeAffinity): the scheduler then binds it. */
export function pinToNode(affinity: any, nodeName: string): any {
  const pin = { key: 'metadata.name', operator: 'In', values: [nodeName] };
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  // Every term keeps its label expressions; its field requirements become the pin (terms are ORed).
  const newTerms = terms.length ? terms.map((t: any) => ({ ...t, matchFields: [pin] })) : [{ matchFields: [pin] }];
  return { ...(affinity ?? {}), nodeAffinity: { ...(affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: newTerms } } };
}

/** The node a daemon pod is for: its nodeName once bound, else the pinned matchFields value. */
export function nodeOfPod(pod: any): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const t of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  return undefined;
}

/** Resolves an int-or-percent against total; DaemonSets round percentages up (intstr.GetScaledValueFromIntOrPercent with roundUp). */
export function intOrPercent(v: number | string | undefined, total: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v) || 0;
}

/**
 * Effective maxSurge / maxUnavailable for `desired` nodes (upstream's updatedDesiredNodeCounts).
 * When both come out 0 (e.g. 10% of 3 nodes rounds up to 1, but "0%" stays 0), one node may be
 * unavailable so the rollout still progresses.
 */
export function surgeAndUnavailable(ds: any, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec.updateStrategy?.rollingUpdate ?? {};
  const maxSurge = intOrPercent(ru.maxSurge, desired, 0);
  let maxUnavailable = intOrPercent(ru.maxUnavailable, desired, 1);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}
