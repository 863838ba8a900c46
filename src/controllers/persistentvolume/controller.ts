/**
 * The persistent volume controllers' wiring (kube-controller-manager's
 * persistentvolume-binder, pvc-protection, pv-protection and ephemeral-volume, plus k3s's
 * local-path provisioner): claim and volume keys on one queue ("claim:ns/name", "volume:name") for
 * the binder, a second queue for the protection finalizers. A volume event wakes the claim
 * it names; a claim event wakes its volume; a pod event wakes the claims it uses.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isDefaultClass } from '../../api/builtin/storage.js';
import { keyOf, splitKey } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { EventRecorder } from '../common/events.js';
import { CleanupPendingError, syncClaim, syncVolume, type BinderDeps, type Provisioner } from './binder.js';
import { HELPER_PREFIX, LocalPathProvisioner } from './local-path.js';
import { syncEphemeralClaims } from './ephemeral.js';
import { claimNamesOf, syncClaimProtection, syncVolumeProtection } from './protection.js';

export interface PersistentVolumeOptions {
  /** The nodes' local-path storage directory (k3s's --default-local-storage-path). */
  localStoragePath?: string;
  /** Whether a node runs in this process (its local-path directories are on this disk). */
  isLocalNode?: (name: string) => boolean;
  /** How often every claim and volume is synced again (upstream's 15 s). */
  syncPeriodMs?: number;
}

/** The default class the DefaultStorageClass admission would pick: the newest, then by name. */
export function newestDefault(classes: readonly any[]): any | undefined {
  return [...classes].filter(isDefaultClass).sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)))[0];
}

export const DEFAULT_LOCAL_STORAGE_PATH = join('/var/lib/skiff', 'storage');

export class PersistentVolumeController {
  static readonly NAME = 'persistentvolume-binder-controller';
  readonly queue = new WorkQueue();
  readonly protection = new WorkQueue();
  readonly ephemeral = new WorkQueue();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: PersistentVolumeOptions = {},
  ) {
    const inf = ctx.informers;
    const claim = (ns: string, name: string) => this.queue.add(`claim:${ns}/${name}`);
    inf.informer('persistentvolumeclaims').addHandlers({
      onAdd: (c) => this.onClaim(c),
      onUpdate: (_o, c) => this.onClaim(c),
      onDelete: (c) => {
        if (c.spec?.volumeName) this.queue.add(`volume:${c.spec.volumeName}`);
      },
    });
    inf.informer('persistentvolumes').addHandlers({
      onAdd: (v) => this.onVolume(v),
      onUpdate: (_o, v) => this.onVolume(v),
      onDelete: (v) => {
        const r = v.spec?.claimRef;
        if (r) claim(r.namespace ?? '', r.name);
      },
    });
    // A class made (or made the default) may be what a waiting claim needs.
    inf.informer('storageclasses').addHandlers({ onAdd: () => this.enqueueUnboundClaims(), onUpdate: () => this.enqueueUnboundClaims(), onDelete: () => {} });
    inf.informer('nodes');
    inf.informer('pods').addHandlers({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_o, p) => this.onPod(p),
      onDelete: (p) => this.onPod(p),
    });
  }

  private onClaim(c: any): void {
    this.queue.add(`claim:${keyOf(c)}`);
    if (c.spec?.volumeName) this.queue.add(`volume:${c.spec.volumeName}`);
    if (c.metadata.deletionTimestamp) this.protection.add(`claim:${keyOf(c)}`);
  }

  private onVolume(v: any): void {
    this.queue.add(`volume:${v.metadata.name}`);
    const r = v.spec?.claimRef;
    if (r) this.queue.add(`claim:${r.namespace ?? ''}/${r.name}`);
    // A volume free to bind: every claim still waiting for one may take it.
    else if (v.status?.phase === 'Available') this.enqueueUnboundClaims();
    if (v.metadata.deletionTimestamp) this.protection.add(`volume:${v.metadata.name}`);
  }

  private enqueueUnboundClaims(): void {
    for (const c of this.ctx.informers.informer('persistentvolumeclaims').cache.list()) if (!c.spec?.volumeName) this.queue.add(`claim:${keyOf(c)}`);
  }

  private onPod(p: any): void {
    // A local-path helper pod that Succeeded: its volume's deletion goes on.
    if (p.metadata.namespace === 'kube-system' && p.metadata.name.startsWith(HELPER_PREFIX) && p.status?.phase === 'Succeeded') this.queue.add(`volume:${p.metadata.name.slice(HELPER_PREFIX.length)}`);
    if ((p.spec?.volumes ?? []).some((v: any) => v.ephemeral) && !p.metadata.deletionTimestamp) this.ephemeral.add(keyOf(p));
    for (const name of claimNamesOf(p)) this.protection.add(`claim:${p.metadata.namespace}/${name}`);
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const recorder = new EventRecorder(cs, 'persistentvolume-controller', log);
    const pvcInf = informers.informer('persistentvolumeclaims');
    const pvInf = informers.informer('persistentvolumes');
    const scInf = informers.informer('storageclasses');
    const nodeInf = informers.informer('nodes');
    const podInf = informers.informer('pods');
    await Promise.all([pvcInf, pvInf, scInf, nodeInf, podInf].map((i) => i.waitForSync(signal)));
    const pvs = cs.resource('persistentvolumes');
    const pvcs = cs.resource('persistentvolumeclaims');
    const node = (name: string) => nodeInf.cache.getByName(undefined, name);
    const localPath = new LocalPathProvisioner({ pvs, pods: cs.resource('pods'), dir: this.o.localStoragePath ?? DEFAULT_LOCAL_STORAGE_PATH, node, isLocalNode: this.o.isLocalNode ?? ((n) => n === hostname()), log: log.child('local-path-provisioner'), recorder: new EventRecorder(cs, 'rancher.io/local-path_skiff', log) });
    const deps: BinderDeps = {
      pvs,
      pvcs,
      volumes: () => pvInf.cache.list(),
      volume: (name) => pvInf.cache.getByName(undefined, name),
      claim: (ns, name) => pvcInf.cache.getByName(ns, name),
      storageClass: (name) => scInf.cache.getByName(undefined, name),
      defaultClass: () => newestDefault(scInf.cache.list()),
      node,
      provisioners: new Map<string, Provisioner>([[localPath.name, localPath]]),
      recorder,
      enqueueClaim: (ns, name) => this.queue.add(`claim:${ns}/${name}`),
      now: this.ctx.now ?? Date.now,
    };
    const pdeps = { pvcs, pvs, pods: cs.resource('pods'), cachedPods: (ns: string) => podInf.cache.list(ns) };
    const objectOf = (key: string) => {
      const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      const { namespace, name } = splitKey(rest);
      return kind === 'claim' ? { kind, obj: pvcInf.cache.getByName(namespace, name) } : { kind, obj: pvInf.cache.getByName(undefined, name) };
    };
    // Upstream's resync (--pvclaimbinder-sync-period, 15 s): claims and volumes are looked at again.
    const resync = setInterval(() => {
      this.enqueueUnboundClaims();
      for (const v of pvInf.cache.list()) this.queue.add(`volume:${v.metadata.name}`);
    }, this.o.syncPeriodMs ?? 15_000);
    signal.addEventListener('abort', () => clearInterval(resync), { once: true });
    // One binder worker, as upstream: bindings are decided one at a time, never two claims per volume.
    await Promise.all([
      runWorkers({
        name: PersistentVolumeController.NAME,
        queue: this.queue,
        workers: 1,
        log,
        signal,
        sync: async (key) => {
          const { kind, obj } = objectOf(key);
          if (!obj) return;
          try {
            await (kind === 'claim' ? syncClaim(deps, obj) : syncVolume(deps, obj));
          } catch (err) {
            // Waiting for a helper pod is no failure: its pod's events bring the volume back (the
            // resync too, should one be missed).
            if (!(err instanceof CleanupPendingError)) throw err;
          }
        },
      }),
      runWorkers({
        name: 'ephemeral-volume-controller',
        queue: this.ephemeral,
        workers: 1,
        log,
        signal,
        sync: async (key) => {
          const pod = podInf.cache.get(key);
          if (pod) await syncEphemeralClaims(pvcs, (ns, name) => pvcInf.cache.getByName(ns, name), pod);
        },
      }),
      runWorkers({
        name: 'persistentvolume-protection-controller',
        queue: this.protection,
        workers: 1,
        log,
        signal,
        sync: async (key) => {
          const { kind, obj } = objectOf(key);
          await (kind === 'claim' ? syncClaimProtection(pdeps, obj) : syncVolumeProtection(pdeps, obj));
        },
      }),
    ]);
  }
}
