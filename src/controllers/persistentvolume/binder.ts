/**
 * The PersistentVolume binder's reconcile steps (upstream's syncClaim and syncVolume in
 * pkg/controller/volume/persistentvolume):
 * - an unbound claim binds to its matching volume, or has one provisioned by its class's
 *   provisioner; with volumeBindingMode WaitForFirstConsumer it waits for the scheduler to
 *   name a node (volume.kubernetes.io/selected-node) and binds only to volumes that node
 *   can reach;
 * - binding writes the volume first (claimRef, then phase Bound), then the claim
 *   (volumeName + bind-completed, then phase Bound with the volume's capacity and modes),
 *   so a crash half way is finished by the next sync, as upstream;
 * - a bound claim whose volume went away is Lost; a volume whose claim went away is
 *   Released and then reclaimed by its policy: Retain keeps it, Delete removes it (and its
 *   data, through the provisioner that made it), Recycle is not supported (Failed).
 */
import { BETA_STORAGE_CLASS, pvcClass } from '../../api/builtin/storage.js';
import type { ResourceClient } from '../../client/resource.js';
import { isNotFound } from '../../client/rest.js';
import type { EventRecorder } from '../common/events.js';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_BETA_STORAGE_PROVISIONER, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, claimRefMatches, findMatchingVolume } from './matching.js';

/** A provisioner still waiting for work elsewhere (a helper pod): not a failure, synced again later. */
export class CleanupPendingError extends Error {}

export interface Provisioner {
  readonly name: string;
  /** Creates the volume for the claim (pre-bound to it through claimRef), with its own events. */
  provision(pvc: any, storageClass: any, nodeName: string | undefined): Promise<void>;
  /** Removes the volume's data and then the PersistentVolume object. */
  delete(pv: any): Promise<void>;
}

export interface BinderDeps {
  pvs: ResourceClient;
  pvcs: ResourceClient;
  volumes(): readonly any[];
  volume(name: string): any | undefined;
  claim(namespace: string, name: string): any | undefined;
  storageClass(name: string): any | undefined;
  /** The default StorageClass (the newest when several say so), if any. */
  defaultClass(): any | undefined;
  node(name: string): any | undefined;
  provisioners: Map<string, Provisioner>;
  recorder: EventRecorder;
  /** Asks for the claim to be synced again (a volume event concerns it). */
  enqueueClaim(namespace: string, name: string): void;
  now(): number;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const pvcRef = (pvc: any) => `${pvc.metadata.namespace}/${pvc.metadata.name}`;

async function setVolumePhase(d: BinderDeps, pv: any, phase: string, reason?: string, message?: string): Promise<void> {
  if (pv.status?.phase === phase && (pv.status?.reason ?? undefined) === reason) return;
  const status: any = { phase, reason: reason ?? null, message: message ?? null };
  if (pv.status?.phase !== phase) status.lastPhaseTransitionTime = rfc3339(d.now());
  await d.pvs.patch(undefined, pv.metadata.name, 'merge', { status }, { subresource: 'status' });
}

async function setClaimPhase(d: BinderDeps, pvc: any, status: any): Promise<void> {
  const cur = pvc.status ?? {};
  if (cur.phase === status.phase && JSON.stringify(cur.capacity ?? null) === JSON.stringify(status.capacity ?? cur.capacity ?? null) && JSON.stringify(cur.accessModes ?? null) === JSON.stringify(status.accessModes ?? cur.accessModes ?? null)) return;
  await d.pvcs.patch(pvc.metadata.namespace, pvc.metadata.name, 'merge', { status }, { subresource: 'status' });
}

/** Binds volume and claim both ways; each step is skipped when already done. */
async function bind(d: BinderDeps, pv: any, pvc: any): Promise<void> {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.uid !== pvc.metadata.uid) {
    const annotations = ref ? undefined : { [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    // The volume's resourceVersion makes this a compare-and-swap: two claims never get one volume.
    pv = await d.pvs.patch(undefined, pv.metadata.name, 'merge', {
      metadata: { resourceVersion: pv.metadata.resourceVersion, ...(annotations ? { annotations } : {}) },
      spec: { claimRef: { kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, apiVersion: 'v1', resourceVersion: pvc.metadata.resourceVersion } },
    });
  }
  await setVolumePhase(d, pv, 'Bound');
  const ann = pvc.metadata.annotations ?? {};
  if (pvc.spec?.volumeName !== pv.metadata.name || ann[ANN_BIND_COMPLETED] !== 'yes') {
    const annotations: Record<string, string> = { [ANN_BIND_COMPLETED]: 'yes' };
    if (!pvc.spec?.volumeName) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
    pvc = await d.pvcs.patch(pvc.metadata.namespace, pvc.metadata.name, 'merge', { metadata: { annotations }, spec: { volumeName: pv.metadata.name } });
  }
  await setClaimPhase(d, pvc, { phase: 'Bound', accessModes: pv.spec?.accessModes ?? [], capacity: pv.spec?.capacity ?? {} });
}

export async function syncClaim(d: BinderDeps, pvc: any): Promise<void> {
  if (pvc.spec?.volumeName) return syncBoundClaim(d, pvc);
  // A claim on its way out gets no volume (external provisioners skip it too).
  if (pvc.metadata.deletionTimestamp) return;
  // Retroactive default class (upstream since 1.28): a claim made while no class was the
  // default gets the default once there is one; "" (no class, on purpose) is kept.
  if ((pvc.spec?.storageClassName === undefined || pvc.spec?.storageClassName === null) && pvc.metadata.annotations?.[BETA_STORAGE_CLASS] === undefined) {
    const def = d.defaultClass();
    if (def) {
      await d.pvcs.patch(pvc.metadata.namespace, pvc.metadata.name, 'merge', { spec: { storageClassName: def.metadata.name } });
      return;
    }
  }
  const className = pvcClass(pvc);
  const sc = className ? d.storageClass(className) : undefined;
  const waitForConsumer = sc?.volumeBindingMode === 'WaitForFirstConsumer';
  const selectedNode: string | undefined = pvc.metadata.annotations?.[ANN_SELECTED_NODE];
  if (waitForConsumer && !selectedNode) {
    // A volume pre-bound to the claim may still bind at once; otherwise the scheduler decides.
    const pre = d.volumes().find((pv) => pv.spec?.claimRef && claimRefMatches(pv, pvc));
    if (pre) return bind(d, pre, pvc);
    d.recorder.event(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
    return;
  }
  const node = waitForConsumer && selectedNode ? d.node(selectedNode) : undefined;
  if (waitForConsumer && !node) {
    d.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `node "${selectedNode}" not found`);
    return;
  }
  const pv = findMatchingVolume(pvc, d.volumes(), node);
  if (pv) return bind(d, pv, pvc);
  if (!className) {
    d.recorder.event(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    return;
  }
  if (!sc) {
    d.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
    return;
  }
  if (sc.provisioner === 'kubernetes.io/no-provisioner') {
    d.recorder.event(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    return;
  }
  // Provisioning: the claim says who provisions it (the external provisioners' contract).
  const ann = pvc.metadata.annotations ?? {};
  if (ann[ANN_STORAGE_PROVISIONER] !== sc.provisioner) {
    pvc = await d.pvcs.patch(pvc.metadata.namespace, pvc.metadata.name, 'merge', { metadata: { annotations: { [ANN_STORAGE_PROVISIONER]: sc.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner } } });
  }
  // As for any out-of-tree provisioner, the binder says who is expected to act.
  d.recorder.event(pvc, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  const p = d.provisioners.get(sc.provisioner);
  if (!p) return;
  try {
    await p.provision(pvc, sc, selectedNode);
  } catch (err) {
    // Upstream's rescheduleProvisioning: the node choice is dropped, so the scheduler (whose
    // PreBind is waiting for this claim) gives up on that node and picks again.
    if (selectedNode) await d.pvcs.patch(pvc.metadata.namespace, pvc.metadata.name, 'merge', { metadata: { annotations: { [ANN_SELECTED_NODE]: null } } });
    throw err;
  }
}

async function syncBoundClaim(d: BinderDeps, pvc: any): Promise<void> {
  const pv = d.volume(pvc.spec.volumeName);
  if (!pv) {
    if (pvc.status?.phase !== 'Lost') {
      await setClaimPhase(d, pvc, { phase: 'Lost' });
      d.recorder.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    }
    return;
  }
  const ref = pv.spec?.claimRef;
  if (!ref || claimRefMatches(pv, pvc)) {
    // Named by the user in spec.volumeName, or (half) bound to this claim: finish the binding.
    const done = ref?.uid === pvc.metadata.uid && pv.status?.phase === 'Bound' && pvc.status?.phase === 'Bound' && pvc.metadata.annotations?.[ANN_BIND_COMPLETED] === 'yes';
    if (!done) await bind(d, pv, pvc);
    return;
  }
  if (pvc.status?.phase !== 'Lost') {
    await setClaimPhase(d, pvc, { phase: 'Lost' });
    d.recorder.event(pvc, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
  }
}

export async function syncVolume(d: BinderDeps, pv: any): Promise<void> {
  const ref = pv.spec?.claimRef;
  if (!ref) return setVolumePhase(d, pv, 'Available');
  if (!ref.uid) {
    // Pre-bound by a user to a claim that may not exist yet.
    await setVolumePhase(d, pv, 'Available');
    d.enqueueClaim(ref.namespace ?? '', ref.name);
    return;
  }
  let claim = d.claim(ref.namespace ?? '', ref.name);
  if (claim && claim.metadata.uid !== ref.uid) claim = undefined;
  if (!claim) {
    // The cache may lag behind a fresh claim: only the API's answer releases the volume.
    try {
      const live = await d.pvcs.get(ref.namespace, ref.name);
      if (live.metadata.uid === ref.uid) claim = live;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!claim) {
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') await setVolumePhase(d, pv, 'Released');
    if (pv.status?.phase !== 'Failed') await reclaim(d, pv);
    return;
  }
  if (!claim.spec?.volumeName) {
    // Pre-bound (provisioned, or chosen for the claim): the claim's sync completes the binding.
    d.enqueueClaim(claim.metadata.namespace, claim.metadata.name);
    return;
  }
  if (claim.spec.volumeName === pv.metadata.name) return setVolumePhase(d, pv, 'Bound');
  // The claim is bound to another volume: undo our half of a binding that lost the race.
  if (pv.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER]) {
    await d.pvs.patch(undefined, pv.metadata.name, 'merge', { metadata: { resourceVersion: pv.metadata.resourceVersion, annotations: { [ANN_BOUND_BY_CONTROLLER]: null } }, spec: { claimRef: null } });
  } else {
    await d.pvs.patch(undefined, pv.metadata.name, 'merge', { metadata: { resourceVersion: pv.metadata.resourceVersion }, spec: { claimRef: { uid: null, resourceVersion: null } } });
  }
}

/** What happens to a Released volume (reclaimVolume). */
async function reclaim(d: BinderDeps, pv: any): Promise<void> {
  const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return;
  if (policy === 'Recycle') {
    await setVolumePhase(d, pv, 'Failed', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
    d.recorder.event({ ...pv, apiVersion: 'v1', kind: 'PersistentVolume' }, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
    return;
  }
  if (pv.metadata.deletionTimestamp) return;
  const by = pv.metadata.annotations?.[ANN_PROVISIONED_BY];
  const p = by ? d.provisioners.get(by) : undefined;
  if (p) {
    try {
      return await p.delete(pv);
    } catch (err) {
      if (!(err instanceof CleanupPendingError)) d.recorder.event({ ...pv, apiVersion: 'v1', kind: 'PersistentVolume' }, 'Warning', 'VolumeFailedDelete', (err as Error).message);
      throw err;
    }
  }
  if (by) return; // an external provisioner deletes what it made
  const msg = `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`;
  await setVolumePhase(d, pv, 'Failed', 'VolumeFailedDelete', msg);
  d.recorder.event({ ...pv, apiVersion: 'v1', kind: 'PersistentVolume' }, 'Warning', 'VolumeFailedDelete', msg);
}
