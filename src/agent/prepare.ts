/**
 * The pod worker's hook into volumes and configuration: before a pod's containers start,
 * its volumes are materialised (preparePodVolumes); before each container is created its
 * environment, command, args and mounts are resolved (prepareContainer). Without a root
 * directory (simulated nodes) only the environment is resolved: nothing touches disk.
 *
 * Errors: a VolumeSetupError leaves the pod ContainerCreating (reason FailedMount, retried);
 * a CreateContainerConfigError leaves the container waiting with that reason.
 */
import type { Logger } from '../util/log.js';
import { CreateContainerConfigError, type PodConfigSource } from './config-source.js';
import type { ContainerRecord } from './pod-status.js';
import { DownwardAPIError, type PodAddresses } from './downward-api.js';
import { expandCommand, resolveEnv, type EnvVar } from './env.js';
import type { ContainerConfig, Mount } from './runtime/types.js';
import { containerMounts, etcHostsMount, MountError, terminationLogMount } from './volumes/container-mounts.js';
import { checkPodClaims, ClaimNotReadyError } from './volumes/persistent-volume.js';
import { setUpPodVolumes, tearDownPodVolumes, updatePodVolumes, VolumeSetupError, type VolumeDir } from './volumes/pod-volumes.js';

export interface PrepareContext {
  source: PodConfigSource;
  /** Where pod directories live (<rootDir>/pods/<uid>); absent on simulated nodes. */
  rootDir?: string;
  /** The pod's IPs once its sandbox exists, and the node's. */
  addresses?: PodAddresses;
  clusterDomain?: string;
  /** Whether memory-backed volumes may be tmpfs mounts (default: running as root). */
  mountTmpfs?: boolean;
}

export interface PreparedContainer {
  env: EnvVar[];
  command?: string[];
  args?: string[];
  workingDir?: string;
  mounts: Mount[];
  /** Host file behind terminationMessagePath, to read the message after exit. */
  terminationLogPath?: string;
}

export async function preparePodVolumes(pod: any, ctx: PrepareContext): Promise<Map<string, VolumeDir>> {
  if (!ctx.rootDir) {
    // No disk, but a pod still waits for its claims to be bound, as on a real node.
    try {
      await checkPodClaims(pod, ctx.source);
    } catch (err) {
      if (err instanceof ClaimNotReadyError) throw VolumeSetupError.unmounted((err as any).volume, pod, err.message, err);
      throw err;
    }
    return new Map();
  }
  return setUpPodVolumes(pod, { rootDir: ctx.rootDir, source: ctx.source, addresses: ctx.addresses, mountTmpfs: ctx.mountTmpfs });
}

/** Re-projects configMap/secret/downwardAPI/projected volumes of a running pod. */
export async function refreshPodVolumes(pod: any, ctx: PrepareContext): Promise<void> {
  if (!ctx.rootDir) return;
  await updatePodVolumes(pod, { rootDir: ctx.rootDir, source: ctx.source, addresses: ctx.addresses, mountTmpfs: ctx.mountTmpfs });
}

export async function cleanupPodVolumes(ctx: { rootDir?: string }, uid: string): Promise<void> {
  if (ctx.rootDir) await tearDownPodVolumes(ctx.rootDir, uid);
}

export async function prepareContainer(pod: any, container: any, ctx: PrepareContext, volumes: Map<string, VolumeDir> = new Map()): Promise<PreparedContainer> {
  try {
    const env = await resolveEnv(pod, container, ctx.source, ctx.addresses);
    const out: PreparedContainer = { env, command: expandCommand(container.command, env), args: expandCommand(container.args, env), workingDir: container.workingDir || undefined, mounts: [] };
    if (!ctx.rootDir) return out;
    out.mounts = await containerMounts(container, volumes, env);
    const hosts = await etcHostsMount({ rootDir: ctx.rootDir, pod, container, podIPs: ctx.addresses?.podIPs ?? [], clusterDomain: ctx.clusterDomain });
    if (hosts) out.mounts.push(hosts);
    const term = await terminationLogMount(ctx.rootDir, pod, container);
    if (term) {
      out.mounts.push(term);
      out.terminationLogPath = term.hostPath;
    }
    return out;
  } catch (err) {
    // Everything that stops the container's config from being generated is
    // CreateContainerConfigError upstream (generateContainerConfig failing).
    if (err instanceof MountError || err instanceof DownwardAPIError) throw new CreateContainerConfigError(err.message, { cause: err });
    throw err;
  }
}

/** A container config with the prepared env, mounts, expanded command/args and workingDir laid over it. */
export function withPrepared(cfg: ContainerConfig, prep: PreparedContainer | undefined): ContainerConfig {
  if (!prep) return cfg;
  return { ...cfg, env: prep.env, mounts: [...(cfg.mounts ?? []), ...prep.mounts], command: prep.command, args: prep.args, workingDir: prep.workingDir ?? cfg.workingDir };
}

/** What the pod worker passes for volumes and configuration; events go to `events`. */
export interface PodConfigOptions extends Omit<PrepareContext, 'addresses'> {
  events?: { event(obj: any, type: 'Normal' | 'Warning', reason: string, message: string): void };
}

/** The kubelet retries a pod whose volumes or container config failed (backOffPeriod, 10 s). */
export const CONFIG_RETRY_MS = 10_000;

/**
 * The pod worker's volume step, before the sandbox: sets the volumes up on the first
 * sync and refreshes them on later ones. Returns ms to retry after a failed set-up (the
 * pod stays ContainerCreating, with a FailedMount event); a failed refresh keeps the
 * last contents, as upstream.
 */
export async function syncPodVolumes(pod: any, state: { volumes?: Map<string, VolumeDir> }, cfg: PodConfigOptions, log: Logger): Promise<number | undefined> {
  try {
    if (!state.volumes) state.volumes = await preparePodVolumes(pod, cfg);
    else await refreshPodVolumes(pod, cfg);
  } catch (err) {
    if (!(err instanceof VolumeSetupError)) throw err;
    if (state.volumes) {
      log.warn('volume update failed', { pod: pod.metadata.name, namespace: pod.metadata.namespace, err });
      return undefined;
    }
    cfg.events?.event(pod, 'Warning', err.reason, err.message);
    return CONFIG_RETRY_MS;
  }
  return undefined;
}

/**
 * The pod worker's step before creating a container: its prepared config, or null when
 * it cannot be made yet — then the container waits in CreateContainerConfigError (on
 * `rec`, with the kubelet's `Failed` event) and the caller retries after CONFIG_RETRY_MS.
 */
export async function prepareOrRecord(pod: any, container: any, rec: ContainerRecord, cfg: PodConfigOptions, addresses: PodAddresses, volumes?: Map<string, VolumeDir>): Promise<PreparedContainer | null> {
  try {
    const prep = await prepareContainer(pod, container, { ...cfg, addresses }, volumes);
    if (rec.waitingReason === 'CreateContainerConfigError') rec.waitingReason = rec.waitingMessage = undefined;
    return prep;
  } catch (err) {
    if (!(err instanceof CreateContainerConfigError)) throw err;
    rec.waitingReason = err.reason;
    rec.waitingMessage = err.message;
    cfg.events?.event(pod, 'Warning', 'Failed', `Error: ${err.message}`);
    return null;
  }
}
