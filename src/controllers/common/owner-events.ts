/**
 * Owner routing of a controlled kind's informer events: which owners' keys a pod (or
 * ReplicaSet) event puts on the work queue, and what it tells the owner's expectations.
 * It is what upstream writes as addPod/updatePod/deletePod in the ReplicaSet, DaemonSet
 * and StatefulSet controllers, as add/update/deleteReplicaSet in the Deployment one, and
 * as add/update/deleteHistory (ControllerRevisions) in the DaemonSet one:
 * - an object with a controller reference wakes only that owner, and only while the
 *   reference resolves (same kind, then name and uid in the owner cache);
 * - an orphan wakes every owner whose non-empty selector matches its labels, so one can
 *   adopt it; an orphan's deletion wakes nobody;
 * - an update that changes the controller reference wakes the previous owner too; an
 *   orphan's update wakes the selecting owners only if its labels or reference changed;
 * - with expectations: an add is the creation observed, a delete the deletion observed,
 *   and an update that sets deletionTimestamp already counts as the deletion, so the
 *   owner replaces the pod at once instead of after its grace period (if the labels
 *   changed in that update, the old version's owner observes it as well);
 * - with requeueOnReady: an owned pod turning Ready wakes its owner again after the
 *   owner's minReadySeconds plus one second, when the pod has become available.
 * Our informer hands onDelete the last known object even for deletes found by a relist,
 * so there is no DeletedFinalStateUnknown tombstone to unwrap as client-go's handlers do.
 */
import { keyOf } from '../../client/cache.js';
import type { InformerHandlers } from '../../client/informer.js';
import { matchesSelector, type LabelSelector } from '../../client/selector.js';
import type { Expectations } from './expectations.js';
import { controllerRef, isPodReady } from './pods.js';

/** The owners' informer cache, as far as routing needs it. */
export interface OwnerLookup {
  getByName(namespace: string | undefined, name: string): any | undefined;
  list(namespace?: string): any[];
}

export interface OwnerQueue {
  add(key: string): void;
  addAfter(key: string, delayMs: number): void;
}

export interface OwnerEventOptions {
  /** The owners' kind (upstream's controllerKind.Kind): references of other kinds are not ours. */
  kind: string;
  owners: OwnerLookup;
  queue: OwnerQueue;
  /** Creations and deletions observed for the owner (ReplicaSets, DaemonSets, StatefulSets). */
  expectations?: Expectations;
  /** Wake the owner minReadySeconds + 1 s after an owned pod turns Ready. */
  requeueOnReady?: boolean;
}

/** resolveControllerRef: the owner a controller reference names, if it is still that one (uid). */
export function resolveControllerRef(kind: string, owners: OwnerLookup, namespace: string | undefined, ref: any): any | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  const owner = owners.getByName(namespace, ref.name);
  return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
}

/** A missing selector, or one without any requirement. */
function isEmpty(sel: LabelSelector | null | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

/**
 * The listers' GetPodReplicaSets and kin: owners whose selector matches obj's labels. An
 * object without labels has none, and an empty selector matches nothing, not everything.
 */
export function ownersSelecting(owners: OwnerLookup, obj: any): any[] {
  const labels = obj.metadata?.labels;
  if (!labels || !Object.keys(labels).length) return [];
  return owners.list(obj.metadata.namespace).filter((o) => !isEmpty(o.spec?.selector) && matchesSelector(o.spec.selector, labels));
}

export function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a![k] === b![k]);
}

const REF_FIELDS = ['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion'] as const;

export function sameRef(a: any, b: any): boolean {
  if (!a || !b) return !a && !b;
  return REF_FIELDS.every((f) => a[f] === b[f]);
}

/** Informer handlers for the controlled kind that route its events as described above. */
export function ownerEventHandlers(o: OwnerEventOptions): Required<InformerHandlers<any>> {
  const resolve = (obj: any, ref: any) => resolveControllerRef(o.kind, o.owners, obj.metadata?.namespace, ref);
  const wakeSelecting = (obj: any) => {
    for (const owner of ownersSelecting(o.owners, obj)) o.queue.add(keyOf(owner));
  };
  const deleted = (obj: any) => {
    const owner = resolve(obj, controllerRef(obj));
    if (!owner) return;
    const k = keyOf(owner);
    o.expectations?.deletionObserved(k, keyOf(obj));
    o.queue.add(k);
  };
  return {
    onAdd(obj) {
      // Already terminating (seen after a restart): never a creation to observe.
      if (obj.metadata?.deletionTimestamp) return deleted(obj);
      const ref = controllerRef(obj);
      if (!ref) return wakeSelecting(obj);
      const owner = resolve(obj, ref);
      if (!owner) return;
      const k = keyOf(owner);
      o.expectations?.creationObserved(k);
      o.queue.add(k);
    },
    onUpdate(old, cur) {
      if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
      const labelsChanged = !sameLabels(old.metadata?.labels, cur.metadata?.labels);
      if (o.expectations && cur.metadata?.deletionTimestamp) {
        deleted(cur);
        if (labelsChanged) deleted(old);
        return;
      }
      const curRef = controllerRef(cur);
      const oldRef = controllerRef(old);
      const refChanged = !sameRef(curRef, oldRef);
      if (refChanged && oldRef) {
        const prev = resolve(old, oldRef);
        if (prev) o.queue.add(keyOf(prev));
      }
      if (curRef) {
        const owner = resolve(cur, curRef);
        if (!owner) return;
        const k = keyOf(owner);
        o.queue.add(k);
        const minReady = owner.spec?.minReadySeconds ?? 0;
        if (o.requeueOnReady && minReady > 0 && !isPodReady(old) && isPodReady(cur)) o.queue.addAfter(k, minReady * 1000 + 1000);
        return;
      }
      if (labelsChanged || refChanged) wakeSelecting(cur);
    },
    onDelete: deleted,
  };
}

/**
 * Informer handlers for the owners themselves: every event wakes the owner's key. A
 * deleted owner, or one replaced under the same name (the uid changed between two
 * versions, a delete the watch never delivered), loses its expectations, so a new one of
 * that name starts clean (upstream's deleteRS/deleteDaemonset and their uid check).
 */
export function ownerKeyHandlers(queue: Pick<OwnerQueue, 'add'>, expectations?: Expectations): Required<InformerHandlers<any>> {
  return {
    onAdd: (o) => queue.add(keyOf(o)),
    onUpdate(old, cur) {
      if (old.metadata?.uid !== cur.metadata?.uid) expectations?.delete(keyOf(old));
      queue.add(keyOf(cur));
    },
    onDelete(o) {
      expectations?.delete(keyOf(o));
      queue.add(keyOf(o));
    },
  };
}
