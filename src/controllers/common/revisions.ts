/**
 * ControllerRevisions (apps/v1), as DaemonSets and StatefulSets keep them: a snapshot of
 * the pod template per revision, named `<owner>-<hash>`, labelled with
 * controller-revision-hash; pods carry the hash of the revision they were made from.
 * `kubectl rollout history|undo` reads and restores them.
 */
import { createHash } from 'node:crypto';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** A short, label-safe hash of a template (FNV-style 32-bit, rendered in the safe alphabet). */
export function templateHash(template: unknown, collisionCount = 0): string {
  const h = createHash('sha256').update(JSON.stringify(template)).update(String(collisionCount)).digest();
  let n = h.readUInt32BE(0);
  let out = '';
  do {
    out += SAFE[n % SAFE.length];
    n = Math.floor(n / SAFE.length);
  } while (n > 0 && out.length < 10);
  return out;
}

/** The data a revision stores: the template, as a strategic patch like upstream's. */
export function revisionData(template: any): any {
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/**
 * A revision of owner's template, as upstream's NewControllerRevision makes them for
 * DaemonSets and StatefulSets: labelled with the template's labels and the hash, and
 * carrying the owner's annotations (so `kubectl rollout history` shows its change-cause).
 */
export function revisionObject(owner: { apiVersion: string; kind: string; metadata: any }, template: any, revision: number, collisionCount = 0): any {
  const hash = templateHash(template, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`,
      namespace: owner.metadata.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), 'controller-revision-hash': hash },
      ...(owner.metadata.annotations ? { annotations: { ...owner.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    data: revisionData(template),
    revision,
  };
}
