/**
 * StatefulSet RollingUpdate: pods not at the update revision are deleted from the highest
 * ordinal down to `partition` (ordinals below it keep the current revision); the
 * controller recreates each at the update revision on a later sync.
 *
 * Without maxUnavailable, one pod at a time: the walk stops at the first pod that is not
 * yet healthy. With rollingUpdate.maxUnavailable (upstream's MaxUnavailableStatefulSet),
 * up to that many pods may be unavailable at once. Worked example, 5 replicas,
 * maxUnavailable 2, partition 0, web-4 already updated but not ready: unavailable = 1, so
 * 2 - 1 = 1 more pod goes this round — web-3, the highest old one.
 */
import { revisionOfPod } from './history.js';

/** maxUnavailable of the rolling update: int or percent of replicas (rounded down), at least 1. */
export function stsMaxUnavailable(set: any): number | undefined {
  const v = set.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
  if (v === undefined || v === null) return undefined;
  const replicas = set.spec.replicas ?? 1;
  const n = typeof v === 'number' ? v : Math.floor((Number(String(v).replace('%', '')) * replicas) / 100);
  return Math.max(1, n);
}

/** The pods to delete this round; `slots` holds one pod per ordinal in range (index = ordinal - start). */
export function rollingUpdate(set: any, slots: any[], update: string, healthy: (p: any) => boolean): any[] {
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const maxUnavailable = stsMaxUnavailable(set);
  const outdated = (p: any) => revisionOfPod(p) !== update && !p.metadata.deletionTimestamp;
  if (maxUnavailable === undefined) {
    for (let i = slots.length - 1; i >= partition; i--) {
      const p = slots[i];
      if (!p) return [];
      if (outdated(p)) return [p];
      if (!healthy(p)) return [];
    }
    return [];
  }
  const unavailable = slots.filter((p) => !p || !healthy(p)).length;
  let room = maxUnavailable - unavailable;
  const out: any[] = [];
  for (let i = slots.length - 1; i >= partition && room > 0; i--) {
    const p = slots[i];
    if (p && outdated(p)) {
      out.push(p);
      room--;
    }
  }
  return out;
}
