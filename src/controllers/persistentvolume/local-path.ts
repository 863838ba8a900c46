/**
 * The built-in local-path provisioner (k3s's rancher.io/local-path): a claim of a class
 * with this provisioner gets a hostPath PersistentVolume on the node the scheduler chose
 * (volume.kubernetes.io/selected-node), at <storage dir>/pvc-<claim uid>_<namespace>_<claim>,
 * with node affinity to that node (kubernetes.io/hostname), pre-bound to the claim.
 *
 * The directory itself is made by the node's agent when it first mounts the volume (the
 * hostPath type is DirectoryOrCreate), so the server never needs to reach a remote node's
 * disk to provision. k3s's `--default-local-storage-path` is the same path on every node
 * (default <data dir>/storage), as upstream's DEFAULT_PATH_FOR_NON_LISTED_NODES.
 *
 * Deletion (reclaim policy Delete): when the node runs in this process (the server's own
 * node, or its simulated nodes) the controller removes the directory itself; on a remote
 * agent's node it does what local-path-provisioner always does: a helper pod in
 * kube-system, pinned to that node (spec.nodeName, tolerating every taint), mounts the
 * storage directory and runs `rm -rf` on the volume's directory, so the node's own agent
 * deletes the data. Once the helper pod Succeeded it is removed and then the
 * PersistentVolume; a Failed helper is removed and tried again.
 */
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import type { Logger } from '../../util/log.js';
import { CleanupPendingError, type Provisioner } from './binder.js';
import { ANN_PROVISIONED_BY } from './matching.js';

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
/** Where the volume was placed, as local-path-provisioner records it. */
export const ANN_LOCAL_PATH_NODE = 'local.path.provisioner/selected-node';

export interface LocalPathOptions {
  pvs: ResourceClient;
  pods: ResourceClient;
  /** The nodes' storage directory (k3s's --default-local-storage-path). */
  dir: string;
  node(name: string): any | undefined;
  /** Whether a node runs in this process, so its directories are on this machine's disk. */
  isLocalNode(name: string): boolean;
  log: Logger;
  /** Events on claims, from the provisioner (as local-path-provisioner's own). */
  recorder?: { event(obj: any, type: 'Normal' | 'Warning', reason: string, message: string): void };
}

export const volumeNameFor = (pvc: any) => `pvc-${pvc.metadata.uid}`;
/** The busybox image every node has without a registry (agent/runtime/cri/images.ts). */
const HELPER_IMAGE = 'skiff.local/busybox:latest';
/** local-path-provisioner's name for the pod that removes a volume's directory on its node. */
export const HELPER_PREFIX = 'helper-pod-delete-';
export const helperPodName = (pvName: string) => `${HELPER_PREFIX}${pvName}`;


export class LocalPathProvisioner implements Provisioner {
  readonly name = LOCAL_PATH_PROVISIONER;
  constructor(private readonly o: LocalPathOptions) {}

  /** Claims whose volume this provisioner created and the binder has not bound yet (the cache lags). */
  private readonly made = new Set<string>();

  async provision(pvc: any, sc: any, nodeName: string | undefined): Promise<void> {
    const uid: string = pvc.metadata.uid;
    if (this.made.has(uid)) return;
    const ref = `${pvc.metadata.namespace}/${pvc.metadata.name}`;
    const event = (type: 'Normal' | 'Warning', reason: string, msg: string) => this.o.recorder?.event({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...pvc }, type, reason, msg);
    event('Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ref}"`);
    try {
      await this.create(pvc, sc, nodeName);
    } catch (err) {
      event('Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${sc.metadata.name}": ${(err as Error).message}`);
      throw err;
    }
    this.made.add(uid);
    // Forgotten after a while: by then the binder has bound the claim, or will retry.
    setTimeout(() => this.made.delete(uid), 60_000).unref();
    event('Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeNameFor(pvc)}`);
  }

  private async create(pvc: any, sc: any, nodeName: string | undefined): Promise<void> {
    if (!nodeName) throw new Error('configuration error, no node was specified');
    if ((pvc.spec?.accessModes ?? []).some((m: string) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) throw new Error('NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes');
    if (pvc.spec?.volumeMode === 'Block') throw new Error(`${LOCAL_PATH_PROVISIONER} does not support block volume provisioning`);
    const node = this.o.node(nodeName);
    const hostname = node?.metadata?.labels?.['kubernetes.io/hostname'] ?? nodeName;
    const name = volumeNameFor(pvc);
    const path = join(this.o.dir, `${name}_${pvc.metadata.namespace}_${pvc.metadata.name}`);
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER, [ANN_LOCAL_PATH_NODE]: nodeName } },
      spec: {
        capacity: { storage: pvc.spec.resources.requests.storage },
        accessModes: pvc.spec.accessModes,
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [hostname] }] }] } },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
      },
    };
    try {
      await this.o.pvs.create(pv);
      this.o.log.info('provisioned volume', { pv: name, claim: `${pvc.metadata.namespace}/${pvc.metadata.name}`, node: nodeName, path });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async delete(pv: any): Promise<void> {
    const path: string | undefined = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    const node: string | undefined = pv.metadata.annotations?.[ANN_LOCAL_PATH_NODE];
    // Only ever a directory directly under the storage directory.
    const base = resolve(this.o.dir);
    const ours = !!path && dirname(resolve(path)) === base;
    if (ours && node && this.o.isLocalNode(node)) await rm(resolve(path!), { recursive: true, force: true });
    else if (ours && node) await this.deleteOnNode(pv.metadata.name, resolve(path!), node);
    try {
      await this.o.pvs.delete(undefined, pv.metadata.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Runs the helper pod on the volume's node until it Succeeded; throws CleanupPendingError meanwhile. */
  private async deleteOnNode(pvName: string, path: string, node: string): Promise<void> {
    const name = helperPodName(pvName);
    let helper: any;
    try {
      helper = await this.o.pods.get('kube-system', name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!helper) {
      await this.o.pods.create(helperPod(name, node, path, this.o.dir)).catch((err) => {
        if (!isAlreadyExists(err)) throw err;
      });
      throw new CleanupPendingError(`removing ${path} on node ${node}`);
    }
    const phase = helper.status?.phase;
    if (phase === 'Failed') {
      // Removed, and tried again after the work queue's backoff (a plain error, not a wait).
      await this.o.pods.delete('kube-system', name).catch(() => {});
      throw new Error(`removing ${path} on node ${node}: helper pod ${name} failed`);
    }
    if (phase !== 'Succeeded') throw new CleanupPendingError(`removing ${path} on node ${node}: helper pod ${phase ?? 'Pending'}`);
    await this.o.pods.delete('kube-system', name).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
    this.o.log.info('local-path volume directory removed on its node', { pv: pvName, node, path });
  }
}

/** The helper pod: the node's agent mounts the storage directory and removes the volume's one. */
export function helperPod(name: string, node: string, path: string, dir: string): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system', labels: { app: 'local-path-provisioner-helper' } },
    spec: {
      nodeName: node,
      restartPolicy: 'Never',
      priorityClassName: 'system-node-critical',
      tolerations: [{ operator: 'Exists' }],
      automountServiceAccountToken: false,
      containers: [{ name: 'helper-pod', image: HELPER_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['rm', '-rf', path], volumeMounts: [{ name: 'data', mountPath: dir }] }],
      volumes: [{ name: 'data', hostPath: { path: dir, type: 'DirectoryOrCreate' } }],
    },
  };
}
