/**
 * A pod's volumes on the node, laid out as the kubelet does:
 *   <root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<volume name>
 * setUp materialises every volume of the pod (a failure is reported as upstream's
 * `MountVolume.SetUp failed for volume "x" : ...` and retried by the caller);
 * update re-projects the contents of configMap, secret, downwardAPI and projected
 * volumes (called periodically and when a watched object changes), atomically;
 * tearDown unmounts tmpfs mounts and removes the pod's directory.
 */
import { chmod, chown, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodConfigSource } from '../config-source.js';
import type { PodAddresses } from '../downward-api.js';
import { parseQuantity } from '../../scheduler/framework/resources.js';
import { writeAtomic } from './atomic-writer.js';
import { checkHostPath } from './host-path.js';
import { ClaimNotReadyError, persistentVolumePath } from './persistent-volume.js';
import { configMapPayload, DEFAULT_MODE, downwardAPIPayload, projectedPayload, secretPayload, type Payload } from './payloads.js';
import { canMount, mountTmpfs, unmountUnder } from './tmpfs.js';

export interface VolumeContext {
  /** The agent's root directory (the kubelet's --root-dir). */
  rootDir: string;
  source: PodConfigSource;
  /** Pod and host addresses for downwardAPI files (defaults to the pod's status). */
  addresses?: PodAddresses;
  /** Whether tmpfs may be mounted (default: running as root). */
  mountTmpfs?: boolean;
  now?: () => Date;
}

/** A volume ready to be mounted into containers. */
export interface VolumeDir {
  hostPath: string;
  /** configMap, secret, downwardAPI and projected volumes are always read-only. */
  readOnly: boolean;
}

export class VolumeSetupError extends Error {
  readonly reason = 'FailedMount';
  constructor(
    readonly volume: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`, options);
  }

  /** A volume the pod waits for (a claim not bound yet), in the kubelet's words. */
  static unmounted(volume: string, pod: any, detail: string, cause: unknown): VolumeSetupError {
    const e = new VolumeSetupError(volume, detail, { cause });
    const all = (pod.spec?.volumes ?? []).map((v: any) => v.name).join(' ');
    e.message = `Unable to attach or mount volumes: unmounted volumes=[${volume}], unattached volumes=[${all}]: ${detail}`;
    return e;
  }
}

export const podDir = (rootDir: string, uid: string) => join(rootDir, 'pods', uid);

const PLUGIN: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

const kindOf = (v: any): string | undefined => ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected', 'persistentVolumeClaim', 'ephemeral'].find((k) => v[k] !== undefined && v[k] !== null);
const ATOMIC = new Set(['configMap', 'secret', 'downwardAPI', 'projected']);

/**
 * Size of a memory-backed emptyDir (calculateEmptyDirMemorySize): the smallest of the
 * node's allocatable memory, the pod's memory limit (when every container has one) and
 * the volume's sizeLimit — e.g. sizeLimit 1Gi in a pod limited to 256Mi gets 256Mi.
 */
function tmpfsSize(pod: any, vol: any, ctx: VolumeContext): number | undefined {
  const candidates: number[] = [];
  const alloc = ctx.source.nodeAllocatable?.().memory;
  if (alloc) candidates.push(parseQuantity(alloc));
  const cs: any[] = pod.spec?.containers ?? [];
  if (cs.length && cs.every((c) => c.resources?.limits?.memory)) {
    const app = cs.reduce((s, c) => s + parseQuantity(c.resources.limits.memory), 0);
    const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map((c: any) => parseQuantity(c.resources?.limits?.memory)));
    candidates.push(Math.max(app, init));
  }
  const limit = parseQuantity(vol.emptyDir?.sizeLimit);
  if (limit > 0) candidates.push(limit);
  const positive = candidates.filter((n) => n > 0);
  return positive.length ? Math.min(...positive) : undefined;
}

async function setUpOne(pod: any, vol: any, ctx: VolumeContext, kind: string): Promise<VolumeDir> {
  const uid: string = pod.metadata.uid;
  if (kind === 'hostPath') {
    await checkHostPath(vol.hostPath.path, vol.hostPath.type);
    return { hostPath: vol.hostPath.path, readOnly: false };
  }
  if (kind === 'persistentVolumeClaim' || kind === 'ephemeral') {
    const { path, readOnly } = await persistentVolumePath(pod, vol, ctx.source);
    return { hostPath: path, readOnly };
  }
  const dir = join(podDir(ctx.rootDir, uid), 'volumes', PLUGIN[kind], vol.name);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const mayMount = ctx.mountTmpfs ?? canMount();
  const addr = ctx.addresses ?? {};
  const alloc = ctx.source.nodeAllocatable?.() ?? {};
  // fsGroup (SetVolumeOwnership): the volume belongs to the group, directories get setgid,
  // and files of the read-only volumes become group-readable (a 0400 secret shows 0440).
  const fsGroup: number | undefined = pod.spec?.securityContext?.fsGroup ?? undefined;
  const write = async (payload: Payload) => {
    if (fsGroup !== undefined) for (const f of payload.values()) f.mode |= 0o440;
    await writeAtomic(dir, payload, { now: ctx.now, gid: fsGroup });
  };
  switch (kind) {
    case 'emptyDir':
      if (vol.emptyDir.medium === 'Memory' && mayMount) await mountTmpfs(dir, tmpfsSize(pod, vol, ctx));
      if (fsGroup !== undefined) await chown(dir, -1, fsGroup);
      await chmod(dir, fsGroup !== undefined ? 0o2777 : 0o777); // emptyDir is world-writable, as upstream
      return { hostPath: dir, readOnly: false };
    case 'configMap':
      await write(await configMapPayload(pod, { name: vol.configMap.name, items: vol.configMap.items, optional: vol.configMap.optional }, vol.configMap.defaultMode ?? DEFAULT_MODE, ctx.source));
      break;
    case 'secret':
      // Secrets live in memory (tmpfs) so they never reach the node's disk, when we can mount.
      if (mayMount) await mountTmpfs(dir).catch(() => {}); // no mount rights: a plain directory
      await write(await secretPayload(pod, { name: vol.secret.secretName, items: vol.secret.items, optional: vol.secret.optional }, vol.secret.defaultMode ?? DEFAULT_MODE, ctx.source));
      break;
    case 'downwardAPI':
      await write(downwardAPIPayload(pod, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? DEFAULT_MODE, addr, alloc));
      break;
    case 'projected':
      await write(await projectedPayload(pod, vol.projected, ctx.source, addr));
      break;
  }
  return { hostPath: dir, readOnly: true };
}

async function each(pod: any, ctx: VolumeContext, only?: Set<string>): Promise<Map<string, VolumeDir>> {
  const out = new Map<string, VolumeDir>();
  for (const vol of pod.spec?.volumes ?? []) {
    const kind = kindOf(vol);
    if (!kind) continue; // csi, ...: not supported on this node
    if (only && !only.has(kind)) continue;
    try {
      out.set(vol.name, await setUpOne(pod, vol, ctx, kind));
    } catch (err) {
      if (err instanceof ClaimNotReadyError) throw VolumeSetupError.unmounted(vol.name, pod, err.message, err);
      throw new VolumeSetupError(vol.name, (err as Error).message, { cause: err });
    }
  }
  return out;
}

/** Materialises every volume of the pod; returns each volume's host directory by name. */
export function setUpPodVolumes(pod: any, ctx: VolumeContext): Promise<Map<string, VolumeDir>> {
  return each(pod, ctx);
}

/** Re-projects configMap, secret, downwardAPI and projected volumes (in place, atomically). */
export function updatePodVolumes(pod: any, ctx: VolumeContext): Promise<Map<string, VolumeDir>> {
  return each(pod, ctx, ATOMIC);
}

/** Unmounts what is mounted under the pod's directory, then removes it. */
export async function tearDownPodVolumes(rootDir: string, uid: string): Promise<void> {
  if (!uid || uid.includes('/') || uid.startsWith('.')) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
  const dir = podDir(rootDir, uid);
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Removes the directories of pods this node no longer runs (deleted while the agent was
 * down), as the kubelet's housekeeping does; returns the UIDs removed.
 */
export async function cleanupOrphanedPodDirs(rootDir: string, activeUids: Set<string>): Promise<string[]> {
  const uids = await readdir(join(rootDir, 'pods')).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const uid of uids) {
    if (activeUids.has(uid) || uid.startsWith('.')) continue;
    await tearDownPodVolumes(rootDir, uid);
    removed.push(uid);
  }
  return removed;
}
