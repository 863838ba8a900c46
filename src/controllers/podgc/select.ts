/**
 * Which pods the pod garbage collector deletes, as pure functions over the informer
 * caches (kube-controller-manager's pkg/controller/podgc): terminated pods over the
 * threshold (evicted first, then oldest), terminating pods on out-of-service nodes,
 * terminating pods that were never scheduled, and pods bound to a node that is gone.
 */

export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

/** Succeeded or Failed: any phase but Pending, Running and Unknown (upstream's isPodTerminated). */
export function isTerminated(pod: any): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown' && phase !== undefined;
}

const isEvicted = (pod: any) => pod.status?.phase === 'Failed' && pod.status?.reason === 'Evicted';

/**
 * Upstream's byEvictionAndCreationTimestamp: evicted pods first (so that pods finished by
 * their controllers outlive them), then by creation time, then by name. Creation
 * timestamps have whole seconds, so pods made in one second go in name order.
 */
export function byEvictionAndCreation(a: any, b: any): number {
  const [ea, eb] = [isEvicted(a), isEvicted(b)];
  if (ea !== eb) return ea ? -1 : 1;
  const [ta, tb] = [Date.parse(a.metadata.creationTimestamp ?? '') || 0, Date.parse(b.metadata.creationTimestamp ?? '') || 0];
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/**
 * Terminated pods beyond the threshold, first to go first. A threshold of 0 or less
 * turns this off (kube-controller-manager's --terminated-pod-gc-threshold=0).
 * Worked example: 5 Succeeded pods p1..p5 made in that order, threshold 2 → p1, p2, p3.
 */
export function terminatedOverThreshold(pods: readonly any[], threshold: number): any[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isTerminated);
  const excess = terminated.length - threshold;
  if (excess <= 0) return [];
  return [...terminated].sort(byEvictionAndCreation).slice(0, excess);
}

function nodeReady(node: any): boolean {
  return (node.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Terminating pods on a node that is not Ready and carries the out-of-service taint (an
 * administrator's word that the node is down for good): nobody will finish them.
 */
export function terminatingOutOfService(pods: readonly any[], nodeByName: (name: string) => any): any[] {
  const out: any[] = [];
  for (const p of pods) {
    if (!p.metadata.deletionTimestamp || !p.spec?.nodeName) continue;
    const node = nodeByName(p.spec.nodeName);
    if (!node) continue;
    if (!nodeReady(node) && (node.spec?.taints ?? []).some((t: any) => t.key === OUT_OF_SERVICE_TAINT)) out.push(p);
  }
  return out.sort(byEvictionAndCreation);
}

/** Terminating pods never bound to a node: no kubelet will ever finish them. */
export function unscheduledTerminating(pods: readonly any[]): any[] {
  return pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName);
}

/**
 * Node names that pods are bound to but the node informer does not know, tracked from
 * when they were first missed: a node is only looked up in the API (and its pods
 * deleted) once it has been missing from the cache for the whole quarantine, so a node
 * the informer has not caught up with yet is never taken for a deleted one (upstream
 * puts the name on a delaying queue for 40 s, then GETs the node).
 */
export class OrphanQuarantine {
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly quarantineMs: number) {}

  /** Records this pass's missing nodes; returns those whose quarantine is over. */
  due(pods: readonly any[], nodeExists: (name: string) => boolean, now: number): string[] {
    const missing = new Set<string>();
    for (const p of pods) if (p.spec?.nodeName && !nodeExists(p.spec.nodeName)) missing.add(p.spec.nodeName);
    for (const name of this.missingSince.keys()) if (!missing.has(name)) this.missingSince.delete(name);
    const due: string[] = [];
    for (const name of missing) {
      let since = this.missingSince.get(name);
      if (since === undefined) this.missingSince.set(name, (since = now));
      if (now - since >= this.quarantineMs) due.push(name);
    }
    return due.sort();
  }

  /** Once looked up (gone, found, or the lookup failed), a node starts a fresh quarantine if pods still name it. */
  forget(name: string): void {
    this.missingSince.delete(name);
  }
}
