/**
 * VolumeRestrictions (the ReadWriteOncePod part): a claim with access mode
 * ReadWriteOncePod is used by one pod in the whole cluster. While a scheduled pod (bound or
 * assumed) holds such a claim, another pod of the claim fits no node — Unschedulable, not
 * unresolvable, since preempting the holder frees it, as upstream.
 */
import { skip, Status, unschedulable, type FilterPlugin, type PluginHandle, type PreFilterPlugin } from '../framework/types.js';
import { podClaimNames } from './volume-binding.js';

export const NAME = 'VolumeRestrictions';
export const ERR_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

export interface VolumeRestrictionsHandle extends PluginHandle {
  claim(namespace: string, name: string): any | undefined;
}

export function create(_args: unknown, h: VolumeRestrictionsHandle): PreFilterPlugin & FilterPlugin {
  return {
    name: NAME,
    preFilter(state, pod, nodes) {
      const ns = pod.metadata.namespace;
      const rwop = new Set(podClaimNames(pod).filter((n) => (h.claim(ns, n)?.spec?.accessModes ?? []).includes('ReadWriteOncePod')));
      if (!rwop.size) return { status: skip() };
      let conflicts = 0;
      for (const ni of nodes) {
        for (const { pod: other } of ni.pods.values()) {
          if (other.metadata.uid === pod.metadata.uid || other.metadata.namespace !== ns) continue;
          conflicts += podClaimNames(other).filter((n) => rwop.has(n)).length;
        }
      }
      state.write(NAME, conflicts);
      return { status: Status.success() };
    },
    filter(state) {
      return (state.read<number>(NAME) ?? 0) > 0 ? unschedulable(ERR_RWOP_CONFLICT) : Status.success();
    },
  };
}
