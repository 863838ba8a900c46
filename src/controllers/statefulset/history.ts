/**
 * StatefulSet ControllerRevisions (upstream's getStatefulSetRevisions and
 * truncateHistory): the update revision is the snapshot of the current template, named
 * `<set>-<hash>`; rolling back to an older template re-numbers its revision as the newest
 * instead of making a new one. A revision of that name holding a different template is a
 * hash collision: status.collisionCount goes up and the hash is computed again. The
 * current revision is the one status.currentRevision names (or the update revision on
 * the first sync). Old revisions beyond revisionHistoryLimit are deleted unless a live pod
 * still runs them.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import { revisionData, revisionObject, templateHash } from '../common/revisions.js';

export interface Revisions {
  /** Revision names (`<set>-<hash>`), as pods' controller-revision-hash labels carry them. */
  update: string;
  current: string;
  currentTemplate: any;
  collisionCount: number;
}

export const revisionOfPod = (p: any): string | undefined => p.metadata?.labels?.['controller-revision-hash'];

function templateOf(rev: any): any | undefined {
  const t = rev?.data?.spec?.template;
  if (!t) return undefined;
  const copy = structuredClone(t);
  delete copy.$patch;
  return copy;
}

export async function syncRevisions(client: ResourceClient, set: any, owned: any[]): Promise<Revisions> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const max = Math.max(0, ...owned.map((r) => Number(r.revision ?? 0)));
  const wantData = JSON.stringify(revisionData(set.spec.template));
  let updateRev: any;
  for (;;) {
    const name = `${set.metadata.name}-${templateHash(set.spec.template, collisionCount)}`;
    const existing = owned.find((r) => r.metadata.name === name);
    if (existing && JSON.stringify(existing.data) !== wantData) {
      collisionCount++;
      continue;
    }
    if (!existing) {
      try {
        updateRev = await client.create(revisionObject({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata }, set.spec.template, max + 1, collisionCount));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // Our cache may just lag behind our own create: the same template under that name is ours.
        const found = await client.get(set.metadata.namespace, name);
        const ours = (found.metadata?.ownerReferences ?? []).some((r: any) => r.uid === set.metadata.uid);
        if (!ours || JSON.stringify(found.data) !== wantData) {
          collisionCount++;
          continue;
        }
        updateRev = found;
      }
    } else if (Number(existing.revision) < max) {
      updateRev = await client.patch(existing.metadata.namespace, name, 'merge', { revision: max + 1 });
    } else updateRev = existing;
    break;
  }
  const update = updateRev.metadata.name;
  const curRev = owned.find((r) => r.metadata.name === set.status?.currentRevision);
  const current = curRev ? curRev.metadata.name : update;
  return { update, current, currentTemplate: (curRev && templateOf(curRev)) ?? set.spec.template, collisionCount };
}

export async function truncateHistory(client: ResourceClient, set: any, owned: any[], pods: any[], keep: Set<string>): Promise<void> {
  const live = new Set([...pods.map(revisionOfPod), ...keep]);
  const old = owned.filter((r) => !live.has(r.metadata.name)).sort((a, b) => Number(a.revision) - Number(b.revision));
  const limit = set.spec.revisionHistoryLimit ?? 10;
  for (const r of old.slice(0, Math.max(0, old.length - limit))) await client.delete(r.metadata.namespace, r.metadata.name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
}
