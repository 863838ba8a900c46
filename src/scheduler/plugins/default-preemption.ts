/**
 * DefaultPreemption (PostFilter): when a pod fits nowhere, look for a node where
 * evicting lower-priority pods would make it fit. On each candidate node all lower-
 * priority pods are removed, then reprieved one by one, highest priority first, while the
 * pod still fits; the rest are victims. The node chosen has the lowest highest-victim
 * priority, then the lowest sum of victim priorities, then the fewest victims. Victims are
 * deleted and the pod's status.nominatedNodeName is set; it is scheduled once they are gone.
 */
import { Code, Status, unresolvable, unschedulable, type PostFilterPlugin } from '../framework/types.js';
import type { CycleState } from '../framework/cycle-state.js';
import { NodeInfo, type PodInfo } from '../framework/node-info.js';
import type { Framework } from '../framework/framework.js';

export const NAME = 'DefaultPreemption';

export interface PreemptionHandle {
  nodeInfo(name: string): NodeInfo | undefined;
  nodes(): NodeInfo[];
  evict(victim: any, preemptor: any, nodeName: string): Promise<void>;
  nominate(pod: any, nodeName: string): Promise<void>;
}

const prio = (p: any) => p.spec?.priority ?? 0;

function cloneWithout(ni: NodeInfo, remove: Set<string>): NodeInfo {
  const c = new NodeInfo(ni.node);
  for (const [uid, pi] of ni.pods) if (!remove.has(uid)) c.addPod(pi);
  return c;
}

export function create(_args: unknown, h: PreemptionHandle): PostFilterPlugin {
  return {
    name: NAME,
    async postFilter(state: CycleState, pod, statuses) {
      const fwk = state.read<Framework>('framework')!;
      const total = statuses.size;
      if (pod.spec?.preemptionPolicy === 'Never') return { status: unschedulable('not eligible due to preemptionPolicy=Never.') };
      const mine = prio(pod);
      let notHelpful = 0,
        noVictims = 0;
      const candidates: { node: string; victims: PodInfo[] }[] = [];
      for (const [name, st] of statuses) {
        if (st.code === Code.UnschedulableAndUnresolvable) {
          notHelpful++;
          continue;
        }
        const ni = h.nodeInfo(name);
        if (!ni) continue;
        const lower = [...ni.pods.values()].filter((pi) => prio(pi.pod) < mine && !pi.pod.metadata.deletionTimestamp);
        if (!lower.length) {
          noVictims++;
          continue;
        }
        const removed = new Set(lower.map((pi) => pi.pod.metadata.uid));
        if (!fwk.runFilter(state, pod, cloneWithout(ni, removed)).isSuccess()) {
          noVictims++;
          continue;
        }
        // Reprieve as many as possible, most important first.
        lower.sort((a, b) => prio(b.pod) - prio(a.pod));
        for (const pi of lower) {
          removed.delete(pi.pod.metadata.uid);
          if (!fwk.runFilter(state, pod, cloneWithout(ni, removed)).isSuccess()) removed.add(pi.pod.metadata.uid);
        }
        candidates.push({ node: name, victims: lower.filter((pi) => removed.has(pi.pod.metadata.uid)) });
      }
      if (!candidates.length) {
        const parts: string[] = [];
        if (noVictims) parts.push(`${noVictims} No preemption victims found for incoming pod`);
        if (notHelpful) parts.push(`${notHelpful} Preemption is not helpful for scheduling`);
        parts.sort();
        return { status: unresolvable(`preemption: 0/${total} nodes are available: ${parts.join(', ')}.`) };
      }
      const key = (c: { victims: PodInfo[] }) => [Math.max(...c.victims.map((v) => prio(v.pod))), c.victims.reduce((a, v) => a + prio(v.pod), 0), c.victims.length];
      candidates.sort((a, b) => {
        const ka = key(a),
          kb = key(b);
        return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
      });
      const best = candidates[0];
      await Promise.all(best.victims.map((v) => h.evict(v.pod, pod, best.node)));
      await h.nominate(pod, best.node);
      return { status: Status.success(), result: { nominatedNodeName: best.node } };
    },
  };
}
