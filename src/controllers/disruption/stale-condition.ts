/**
 * Stale DisruptionTarget conditions. The eviction subresource marks a pod
 * DisruptionTarget=True before deleting it; if the delete then never happened (a
 * precondition failed, the request died), the pod would carry the mark for ever. As
 * upstream's disruption controller does, a non-terminating pod whose mark is older than
 * two minutes gets DisruptionTarget=False. Marks set by the kubelet
 * (TerminationByKubelet) and marks on finished pods are left alone.
 */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60 * 1000;

/** Whether the pod has a mark that may go stale, and in how many ms it will be (0: now). */
export function staleDisruptionCondition(pod: any, now: number): { has: boolean; waitMs: number } {
  if (pod.metadata?.deletionTimestamp) return { has: false, waitMs: 0 };
  const c = (pod.status?.conditions ?? []).find((x: any) => x.type === 'DisruptionTarget');
  const phase = pod.status?.phase;
  if (!c || c.status !== 'True' || c.reason === 'TerminationByKubelet' || phase === 'Succeeded' || phase === 'Failed') return { has: false, waitMs: 0 };
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
  return { has: true, waitMs: Math.max(0, since + STALE_POD_DISRUPTION_TIMEOUT_MS - now) };
}

/**
 * The pod with its mark replaced by DisruptionTarget=False (reason and message go, as
 * UpdatePodCondition replaces the whole condition), for an update of pods/status that is
 * conditioned on the pod's resourceVersion.
 */
export function clearedDisruptionCondition(pod: any, now: number): any {
  const t = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  const conditions = (pod.status?.conditions ?? []).map((c: any) => (c.type === 'DisruptionTarget' ? { type: 'DisruptionTarget', status: 'False', lastProbeTime: null, lastTransitionTime: t } : c));
  return { ...pod, status: { ...pod.status, conditions } };
}
