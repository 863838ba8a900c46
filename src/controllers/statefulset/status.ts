/**
 * StatefulSet status (upstream's computeReplicaStatus and completeRollingUpdate): counts
 * over every created pod of the set; a RollingUpdate is complete once every replica is
 * updated and ready, and then the current revision becomes the update revision.
 * OnDelete never moves currentRevision, as upstream.
 */
import { isPodAvailable, isPodReady } from '../common/pods.js';
import { revisionOfPod, type Revisions } from './history.js';

const runningAndReady = (p: any) => p.status?.phase === 'Running' && isPodReady(p);

export function computeStatus(set: any, pods: any[], rev: Revisions, now: number): any {
  const minReady = set.spec.minReadySeconds ?? 0;
  let replicas = 0,
    ready = 0,
    available = 0,
    current = 0,
    updated = 0;
  for (const p of pods) {
    replicas++;
    if (runningAndReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
    if (p.metadata.deletionTimestamp) continue;
    if (revisionOfPod(p) === rev.current) current++;
    if (revisionOfPod(p) === rev.update) updated++;
  }
  const status: any = {
    ...(set.status ?? {}),
    observedGeneration: set.metadata.generation,
    replicas,
    readyReplicas: ready,
    availableReplicas: available,
    currentReplicas: current,
    updatedReplicas: updated,
    currentRevision: rev.current,
    updateRevision: rev.update,
    collisionCount: rev.collisionCount,
  };
  if ((set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && updated === replicas && ready === replicas) {
    status.currentReplicas = updated;
    status.currentRevision = rev.update;
  }
  return status;
}
