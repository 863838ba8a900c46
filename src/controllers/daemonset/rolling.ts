/**
 * DaemonSet RollingUpdate (upstream's rollingUpdate in daemon/update.go): which old pods
 * to delete and which nodes get a new pod this round.
 *
 * Without surge (maxSurge 0) an old pod is deleted and the manage loop creates the new
 * one; at most maxUnavailable nodes may be without an available pod at once. Worked
 * example, 5 nodes, maxUnavailable 2: one node's new pod is still starting (unavailable
 * 1), so 2 - 1 = 1 more old, available pod is deleted this round; an old pod that is
 * itself unavailable is always replaced, it costs nothing.
 *
 * With surge (maxSurge > 0) the new pod is created next to the old one, at most maxSurge
 * nodes surging at once, and the old pod is deleted once the new one is available.
 */
import { isPodAvailable } from '../common/pods.js';

export interface NodePods {
  node: string;
  pods: any[];
}

export const revisionHash = (p: any) => p.metadata?.labels?.['controller-revision-hash'];

/** The one new and one old pod on a node; ok=false when there are duplicates the manage loop must clean first. */
export function findUpdatedPodsOnNode(pods: any[], hash: string): { newPod?: any; oldPod?: any; ok: boolean } {
  let newPod: any, oldPod: any;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (revisionHash(p) === hash) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

export interface RollingInput {
  /** Every node the DaemonSet should run on, with its (live) daemon pods. */
  nodes: NodePods[];
  hash: string;
  maxSurge: number;
  maxUnavailable: number;
  minReadySeconds: number;
  now: number;
}

export function rollingUpdate(o: RollingInput): { deletes: any[]; createOn: string[] } {
  const available = (p: any) => isPodAvailable(p, o.minReadySeconds, o.now);
  if (o.maxSurge === 0) {
    let numUnavailable = 0;
    const replace: any[] = [];
    const candidates: any[] = [];
    for (const { pods } of o.nodes) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(pods, o.hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        // the manage loop creates or deletes here; meanwhile the node counts as unavailable
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (!available(oldPod)) replace.push(oldPod);
      else if (numUnavailable < o.maxUnavailable) candidates.push(oldPod);
    }
    const room = Math.min(Math.max(0, o.maxUnavailable - numUnavailable), candidates.length);
    return { deletes: [...replace, ...candidates.slice(0, room)], createOn: [] };
  }
  let numSurge = 0;
  const deletes: any[] = [];
  const allowed: string[] = [];
  const candidates: string[] = [];
  for (const { node, pods } of o.nodes) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(pods, o.hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) allowed.push(node);
      else if (numSurge < o.maxSurge) candidates.push(node);
    } else if (!available(newPod)) numSurge++;
    else deletes.push(oldPod);
  }
  const room = Math.min(Math.max(0, o.maxSurge - numSurge), candidates.length);
  return { deletes, createOn: [...allowed, ...candidates.slice(0, room)] };
}
