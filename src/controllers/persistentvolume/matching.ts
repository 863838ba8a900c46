/**
 * Which PersistentVolume a claim may bind to, as upstream's FindMatchingVolume: a volume
 * pre-bound to the claim (claimRef naming it) wins; otherwise the smallest Available volume
 * of the claim's class and volume mode whose capacity covers the request, whose access
 * modes include every mode asked for, and whose labels match the claim's selector — and,
 * when a node is given (WaitForFirstConsumer), whose node affinity admits that node.
 * E.g. a 1Gi claim sees Available volumes of 500Mi, 2Gi and 5Gi: it gets the 2Gi one.
 */
import { pvClass, pvcClass } from '../../api/builtin/storage.js';
import { matchesSelector } from '../../client/selector.js';
import { parseQuantity } from '../../scheduler/framework/resources.js';
import { matchesNodeSelectorTerms } from '../../scheduler/plugins/node-affinity.js';

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

const requestOf = (pvc: any) => parseQuantity(pvc.spec?.resources?.requests?.storage);
const capacityOf = (pv: any) => parseQuantity(pv.spec?.capacity?.storage);

/** Whether the volume's node affinity admits the node (no affinity: every node). */
export function volumeFitsNode(pv: any, node: any): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return !terms || matchesNodeSelectorTerms(terms, node);
}

/** The claim's reference in pv.spec.claimRef names this claim (uid unset: pre-bound by a user). */
export function claimRefMatches(pv: any, pvc: any): boolean {
  const r = pv.spec?.claimRef;
  if (!r || r.name !== pvc.metadata.name || (r.namespace ?? '') !== pvc.metadata.namespace) return false;
  return !r.uid || r.uid === pvc.metadata.uid;
}

function fits(pv: any, pvc: any, node: any | undefined): boolean {
  if (pvClass(pv) !== pvcClass(pvc)) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return false;
  if (capacityOf(pv) < requestOf(pvc)) return false;
  const have = new Set(pv.spec?.accessModes ?? []);
  if (!(pvc.spec?.accessModes ?? []).every((m: string) => have.has(m))) return false;
  if (pvc.spec?.selector && !matchesSelector(pvc.spec.selector, pv.metadata?.labels ?? {})) return false;
  if (node && !volumeFitsNode(pv, node)) return false;
  return true;
}

export function findMatchingVolume(pvc: any, volumes: readonly any[], node?: any): any | undefined {
  let best: any;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    if (pv.spec?.claimRef) {
      // Pre-bound to this claim (by a user or a provisioner): taken first when it fits.
      if (claimRefMatches(pv, pvc) && fits(pv, pvc, node)) return pv;
      continue;
    }
    if ((pv.status?.phase ?? 'Pending') !== 'Available') continue;
    if (!fits(pv, pvc, node)) continue;
    if (!best || capacityOf(pv) < capacityOf(best)) best = pv;
  }
  return best;
}
