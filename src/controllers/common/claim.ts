/**
 * ControllerRefManager: a controller claims the objects it selects. Owned objects that
 * no longer match are released (owner reference removed); matching orphans are adopted
 * (a controller reference added) unless the owner is being deleted. Objects controlled
 * by someone else are never touched.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isNotFound, isConflict } from '../../client/rest.js';
import { matchesSelector, type LabelSelector } from '../../client/selector.js';
import { controllerRef } from './pods.js';

export interface ClaimOptions {
  owner: { apiVersion: string; kind: string; metadata: any };
  selector: LabelSelector;
  client: ResourceClient;
  /** Candidates: every object of the kind in the owner's namespace (from the lister). */
  candidates: any[];
  /** Never release (StatefulSets' adoptOrphanRevisions): owned objects that no longer match are just left out. */
  adoptOnly?: boolean;
  /** A further condition for matching (ClaimPods' filters): StatefulSets only claim their members. */
  filter?: (obj: any) => boolean;
}

export async function claimObjects(o: ClaimOptions): Promise<any[]> {
  const uid = o.owner.metadata.uid;
  const claimed: any[] = [];
  const deleting = !!o.owner.metadata.deletionTimestamp;
  for (const obj of o.candidates) {
    const ref = controllerRef(obj);
    const matches = matchesSelector(o.selector, obj.metadata?.labels) && (!o.filter || o.filter(obj));
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (deleting || o.adoptOnly) continue;
      // Release: remove our owner reference (strategic merge $patch: delete by uid).
      await ignoreGone(
        o.client.patch(obj.metadata.namespace, obj.metadata.name, 'strategic', {
          metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: obj.metadata.uid },
        }),
      );
      continue;
    }
    if (!matches || deleting || obj.metadata?.deletionTimestamp) continue;
    // Adopt the orphan. The uid in the patch makes it fail if the object was replaced.
    const refs = [...(obj.metadata.ownerReferences ?? []), { apiVersion: o.owner.apiVersion, kind: o.owner.kind, name: o.owner.metadata.name, uid, controller: true, blockOwnerDeletion: true }];
    const adopted = await ignoreGone(o.client.patch(obj.metadata.namespace, obj.metadata.name, 'merge', { metadata: { ownerReferences: refs, uid: obj.metadata.uid } }));
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function ignoreGone<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return undefined;
    throw err;
  }
}
