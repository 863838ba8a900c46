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
 * Deletion (reclaim policy Delete): upstream runs a helper pod on the node to remove the
 * directory. skiff keeps it simpler: the controller removes the directory itself when the
 * node runs in this process (the server's own node, or its simulated nodes) and then deletes
 * the PersistentVolume; for a volume on a remote agent's node the PersistentVolume is
 * deleted and the directory is left on that node (logged), since no agent cleans it yet.
 */
import { rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import type { Logger } from '../../util/log.js';
import type { Provisioner } from './binder.js';
import { ANN_PROVISIONED_BY } from './matching.js';

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
/** Where the volume was placed, as local-path-provisioner records it. */
export const ANN_LOCAL_PATH_NODE = 'local.path.provisioner/selected-node';

export interface LocalPathOptions {
  pvs: ResourceClient;
  /** The nodes' storage directory (k3s's --default-local-storage-path). */
  dir: string;
  node(name: string): any | undefined;
  /** Whether a node runs in this process, so its directories are on this machine's disk. */
  isLocalNode(name: string): boolean;
  log: Logger;
}

export const volumeNameFor = (pvc: any) => `pvc-${pvc.metadata.uid}`;

export class LocalPathProvisioner implements Provisioner {
  readonly name = LOCAL_PATH_PROVISIONER;
  constructor(private readonly o: LocalPathOptions) {}

  async provision(pvc: any, sc: any, nodeName: string | undefined): Promise<void> {
    if (!nodeName) throw new Error('configuration error, no node was specified');
    if ((pvc.spec?.accessModes ?? []).some((m: string) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) throw new Error('NodePath only supports ReadWriteOnce and ReadWriteOncePod access modes');
    if (pvc.spec?.volumeMode === 'Block') throw new Error('NodePath does not support Block volume mode');
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
    if (path && resolve(path).startsWith(base + sep) && node && this.o.isLocalNode(node)) await rm(resolve(path), { recursive: true, force: true });
    else if (path && node) this.o.log.warn('local-path volume deleted; its directory stays on the remote node', { pv: pv.metadata.name, node, path });
    try {
      await this.o.pvs.delete(undefined, pv.metadata.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
