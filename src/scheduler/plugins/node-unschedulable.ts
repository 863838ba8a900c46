/** NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating node.kubernetes.io/unschedulable. */
import { Status, unresolvable, type FilterPlugin } from '../framework/types.js';
import type { NodeInfo } from '../framework/node-info.js';
import { toleratedByAll } from './tolerations.js';

export const NAME = 'NodeUnschedulable';

export function create(): FilterPlugin {
  return {
    name: NAME,
    filter(_s, pod, ni: NodeInfo) {
      if (!ni.node.spec?.unschedulable) return Status.success();
      if (toleratedByAll(pod.spec?.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return Status.success();
      return unresolvable('node(s) were unschedulable');
    },
  };
}
