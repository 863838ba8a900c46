/**
 * The Priority admission plugin: a new pod's spec.priority comes from its
 * priorityClassName (or the global default PriorityClass, else 0), with the class's
 * preemptionPolicy; a pod may not name a class that does not exist or set a priority that
 * disagrees with its class. The two system classes exist from the first start.
 */
import type { Registry } from '../../api/registry.js';
import { ApiError } from '../errors.js';
import type { ObjectStore } from '../object-store.js';
import { decode, keyPrefix } from '../object-store.js';

export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

function forbidden(pod: any, why: string): ApiError {
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? '';
  return new ApiError(403, 'Forbidden', `pods "${name}" is forbidden: ${why}`, { name, kind: 'pods' });
}

export async function admitPodPriority(reg: Registry, store: ObjectStore, pod: any): Promise<void> {
  const def = reg.lookup('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (!def) return;
  const spec = (pod.spec ??= {});
  let pc: any;
  if (spec.priorityClassName) {
    pc = await store.tryGet(def, undefined, spec.priorityClassName);
    if (!pc) throw forbidden(pod, `no PriorityClass with name ${spec.priorityClassName} was found`);
  } else {
    const all = await store.backend.list(keyPrefix(def));
    pc = all.kvs.map(decode).find((c) => c.globalDefault);
    if (pc) spec.priorityClassName = pc.metadata.name;
  }
  const value = pc?.value ?? 0;
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
    throw forbidden(pod, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
  }
  spec.priority = value;
  spec.preemptionPolicy ??= pc?.preemptionPolicy ?? 'PreemptLowerPriority';
}
