/**
 * Finding or creating the new ReplicaSet and keeping revisions in step
 * (getAllReplicaSetsAndSyncRevision / getNewReplicaSet upstream). The new ReplicaSet's
 * revision is one above every old one — so the ReplicaSet that `kubectl rollout undo`
 * brings back gets the next number — and the Deployment's revision annotation follows
 * it. A name clash with a ReplicaSet of another template bumps status.collisionCount,
 * which changes the hash on the next try.
 */
import { isAlreadyExists } from '../../client/rest.js';
import { controllerRef } from '../common/pods.js';
import { getCondition, newCondition, setCondition } from './conditions.js';
import { hasProgressDeadline } from './progress.js';
import { equalIgnoreHash, findNewReplicaSet, findOldReplicaSets, maxRevision, newReplicaSetFor, setDeploymentRevision, setNewReplicaSetAnnotations } from './revision.js';
import { deploymentRef } from './scale.js';
import { updateDeploymentStatus } from './status.js';
import type { ReplicaSet, SyncCtx } from './types.js';
import { COND_PROGRESSING, REASON_FAILED_RS_CREATE, REASON_FOUND_NEW_RS, REASON_NEW_RS_CREATED, REVISION_ANNOTATION } from './types.js';
import { newRSNewReplicas } from './util.js';

export interface AllReplicaSets {
  newRS: ReplicaSet | undefined;
  /** Every ReplicaSet but the new one (upstream's allOldRSs). */
  oldRSs: ReplicaSet[];
}

/** getAllReplicaSetsAndSyncRevision over ctx.rsList; creates the new ReplicaSet only when asked. */
export async function getAllReplicaSetsAndSyncRevision(ctx: SyncCtx, createIfNotExisted: boolean): Promise<AllReplicaSets> {
  const { all: oldRSs } = findOldReplicaSets(ctx.d, ctx.rsList);
  const newRS = await getNewReplicaSet(ctx, oldRSs, createIfNotExisted);
  return { newRS, oldRSs };
}

function replace(ctx: SyncCtx, rs: ReplicaSet): void {
  const i = ctx.rsList.findIndex((x) => x.metadata.uid === rs.metadata.uid);
  if (i >= 0) ctx.rsList[i] = rs;
  else ctx.rsList.push(rs);
}

const isNamespaceTerminating = (err: unknown) => ((err as any)?.status?.details?.causes ?? []).some((c: any) => c?.type === 'NamespaceTerminating');

async function getNewReplicaSet(ctx: SyncCtx, oldRSs: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSet | undefined> {
  const { d, deps } = ctx;
  const existing = findNewReplicaSet(d, ctx.rsList);
  const newRevision = maxRevision(oldRSs) + 1;

  if (existing) {
    // Sync its annotations (revision, the Deployment's own) and minReadySeconds.
    const copy = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    if (annotationsUpdated || (existing.spec.minReadySeconds ?? 0) !== d.spec.minReadySeconds) {
      copy.spec.minReadySeconds = d.spec.minReadySeconds;
      const updated: ReplicaSet = await deps.replicasets.update({ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...copy });
      replace(ctx, updated);
      return updated;
    }
    let needsUpdate = setDeploymentRevision(d, existing.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
    // A Deployment that never had a Progressing condition starts its clock here.
    if (hasProgressDeadline(d) && !getCondition(d.status, COND_PROGRESSING)) {
      setCondition(d.status, newCondition(COND_PROGRESSING, 'True', REASON_FOUND_NEW_RS, `Found new replica set "${existing.metadata.name}"`, deps.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(ctx);
    return existing;
  }
  if (!createIfNotExisted) return undefined;

  const rs = newReplicaSetFor(d);
  rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
  setNewReplicaSetAnnotations(d, rs, newRevision, false);
  let created: ReplicaSet | undefined;
  let alreadyExists = false;
  try {
    created = await deps.replicasets.create(rs);
  } catch (err) {
    if (isAlreadyExists(err)) {
      alreadyExists = true;
      const found = deps.listReplicaSets(d.metadata.namespace!).find((x) => x.metadata.name === rs.metadata.name);
      if (!found) throw err; // not in the cache yet: retry later
      const ref = controllerRef(found);
      if (ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, found.spec.template)) {
        created = found;
      } else {
        // A hash collision: another template holds this name. Bump collisionCount and retry.
        const before = d.status.collisionCount ?? 0;
        d.status.collisionCount = before + 1;
        try {
          await updateDeploymentStatus(ctx);
          deps.log.info('hash collision, bumping collisionCount', { deployment: `${d.metadata.namespace}/${d.metadata.name}`, from: before, to: before + 1 });
        } catch {
          // the retry recomputes from the cache
        }
        throw err;
      }
    } else if (isNamespaceTerminating(err)) {
      throw err;
    } else {
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${(err as Error)?.message ?? err}`;
      if (hasProgressDeadline(d)) {
        setCondition(d.status, newCondition(COND_PROGRESSING, 'False', REASON_FAILED_RS_CREATE, msg, deps.now()));
        await updateDeploymentStatus(ctx).catch(() => undefined);
      }
      deps.recorder.event(deploymentRef(d), 'Warning', REASON_FAILED_RS_CREATE, msg);
      throw err;
    }
  }
  replace(ctx, created!);
  const n = rs.spec.replicas ?? 0;
  if (!alreadyExists && n > 0) deps.recorder.event(deploymentRef(d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created!.metadata.name} from 0 to ${n}`);
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (!alreadyExists && hasProgressDeadline(d)) {
    setCondition(d.status, newCondition(COND_PROGRESSING, 'True', REASON_NEW_RS_CREATED, `Created new replica set "${created!.metadata.name}"`, deps.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(ctx);
  return created;
}
