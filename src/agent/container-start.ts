/**
 * Starting one container instance as the kubelet's startContainer: its configuration
 * (env, mounts, /etc/hosts, registry credentials; CreateContainerConfigError while that
 * cannot be made), create with image pull back-off (ErrImagePull, then ImagePullBackOff
 * with 10 s doubling to 5 min), start (a start failure is an exited StartError instance
 * that restarts under the policy), then the postStart hook (a failure kills the
 * container). Restarts of an exited container go through crash-loop back-off first.
 */
import type { Logger } from '../util/log.js';
import { backoffNext, backoffRemaining } from './backoff.js';
import { createdEvent, imageEvent, pullBackOffEvents, pullFailedEvents, startedEvent, startFailedEvent, type ContainerEvent } from './container-events.js';
import { etcHostsPath } from './etc-hosts.js';
import { formatPod, runHook } from './lifecycle/hooks.js';
import { killContainer } from './lifecycle/kill.js';
import { containerConfigFor, type PodSpecOptions } from './pod-spec.js';
import type { ContainerRecord } from './pod-status.js';
import { CONFIG_RETRY_MS, prepareOrRecord, withPrepared, type PodConfigOptions } from './prepare.js';
import type { HandlerTarget } from './probes/types.js';
import { pullAuthFromSecrets } from './pull-secrets.js';
import { ImagePullError, type ContainerConfig, type Runtime } from './runtime/types.js';
import { TerminationMessages } from './termination-messages.js';
import type { VolumeDir } from './volumes/pod-volumes.js';

/** Image pull back-off (kubelet: 10 s doubling to 5 min), shown as ImagePullBackOff. */
export const PULL_BACKOFF_INITIAL_S = 10;
export const PULL_BACKOFF_MAX_S = 300;

/** A kubelet event about a pod, on one of its containers when containerName is set. */
export type ContainerEventFn = (pod: any, containerName: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** What a start needs from the pod worker. */
export interface StartContext {
  runtime: Runtime;
  hostIP: string;
  log: Logger;
  now(): Date;
  spec?: PodSpecOptions;
  config?: PodConfigOptions;
  getSecret?: (namespace: string, name: string) => Promise<any | undefined>;
  /** Records the image and container events (real nodes only). */
  containerEvents?: boolean;
  event: ContainerEventFn;
  target(st: { podIP?: string }, spec: any, containerId: string): HandlerTarget;
}

/** The part of a pod's state a start reads and writes. */
export interface StartPodState {
  sandboxId?: string;
  podIP?: string;
  /** Image pull back-off per container name. */
  pullBackoff?: Map<string, { until: number; seconds: number }>;
  /** Volumes set up for the pod (undefined until they are). */
  volumes?: Map<string, VolumeDir>;
  terminationMessages?: TerminationMessages;
}

/** Records container events when this node records them. */
export function recordContainerEvents(ctx: Pick<StartContext, 'containerEvents' | 'event'>, pod: any, containerName: string, ...events: ContainerEvent[]): void {
  if (!ctx.containerEvents) return;
  for (const e of events) ctx.event(pod, containerName, e.type, e.reason, e.message);
}

/** Creates and starts a container, then runs its postStart hook; returns ms to wait before retrying (image pull back-off, config not ready). */
export async function startContainer(ctx: StartContext, st: StartPodState, rec: ContainerRecord, c: any, pod: any): Promise<number | undefined> {
  const rt = ctx.runtime;
  const now = ctx.now().getTime();
  st.pullBackoff ??= new Map();
  const pb = st.pullBackoff.get(c.name);
  if (pb && pb.until > now) {
    if (rec.waitingReason === 'ErrImagePull') {
      rec.waitingReason = 'ImagePullBackOff';
      rec.waitingMessage = `Back-off pulling image "${c.image}"`;
      recordContainerEvents(ctx, pod, c.name, ...pullBackOffEvents(c.image));
    }
    return pb.until - now;
  }
  // Env, mounts and the rest of the container's configuration (CreateContainerConfigError if it cannot be made yet).
  const prep = ctx.config && (await prepareOrRecord(pod, c, rec, ctx.config, { podIPs: st.podIP ? [st.podIP] : [], hostIPs: [ctx.hostIP] }, st.volumes));
  if (prep === null) return CONFIG_RETRY_MS;
  let id: string;
  try {
    const cfg = containerConfigFor(pod, c, rec.restartCount, ctx.spec ?? {});
    cfg.pullAuth = await pullAuth(ctx, pod);
    if (ctx.containerEvents) cfg.onImage = (e) => recordContainerEvents(ctx, pod, c.name, imageEvent(c.image, e));
    const hosts = ctx.spec?.podsDir && etcHostsPath(ctx.spec.podsDir, pod);
    const prepared = withPrepared(cfg, prep || undefined);
    if (hosts && !prepared.mounts?.some((m) => m.containerPath === '/etc/hosts')) prepared.mounts = [...(prepared.mounts ?? []), { containerPath: '/etc/hosts', hostPath: hosts }];
    id = await rt.createContainer(st.sandboxId!, prepared);
  } catch (err) {
    if (!(err instanceof ImagePullError)) throw err;
    const seconds = pb ? Math.min(PULL_BACKOFF_MAX_S, pb.seconds * 2) : PULL_BACKOFF_INITIAL_S;
    st.pullBackoff.set(c.name, { until: now + seconds * 1000, seconds });
    rec.waitingReason = err.reason;
    rec.waitingMessage = err.message;
    recordContainerEvents(ctx, pod, c.name, ...pullFailedEvents(err.reason, err.message));
    ctx.log.info('image pull failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: c.name, image: c.image, reason: err.reason, err: err.message });
    // Resync soon: as the kubelet's, the next sync inside the window shows ImagePullBackOff.
    return Math.min(1000, seconds * 1000);
  }
  st.pullBackoff.delete(c.name);
  if (prep?.terminationLogPath) (st.terminationMessages ??= new TerminationMessages()).record(id, prep.terminationLogPath, c.terminationMessagePolicy);
  rec.waitingReason = rec.waitingMessage = undefined;
  recordContainerEvents(ctx, pod, c.name, createdEvent(c.name));
  try {
    await rt.startContainer(id);
    recordContainerEvents(ctx, pod, c.name, startedEvent(c.name));
  } catch (err) {
    recordContainerEvents(ctx, pod, c.name, startFailedEvent(err));
    // A container that cannot start (no such executable, ...) is an exited instance
    // (StartError, exit code 128) that restarts under the restart policy, as upstream.
    const failed = await rt.containerStatus(id).catch(() => undefined);
    if (!failed || failed.state !== 'exited') throw err;
    ctx.log.info('container failed to start', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: c.name, err });
  }
  if (rec.current) {
    if (rec.previous) await rt.removeContainer(rec.previous.id).catch(() => {});
    rec.previous = rec.current;
  }
  rec.current = await rt.containerStatus(id);
  await postStart(ctx, st, rec, c, pod, id);
  return undefined;
}

/** Restarts an exited container, honouring crash-loop back-off; returns ms to wait if backing off. */
export async function restartContainer(ctx: StartContext, st: StartPodState, rec: ContainerRecord, c: any, pod: any): Promise<number | undefined> {
  const now = ctx.now().getTime();
  const cur = rec.current!;
  const finished = cur.finishedAt?.getTime() ?? now;
  const wait = backoffRemaining(rec.backoff, finished, now);
  if (wait > 0) {
    const first = rec.backoffUntil === undefined;
    rec.backoffUntil = now + wait;
    rec.backoffSeconds = rec.backoff!.backoffMs / 1000;
    if (first) ctx.event(pod, c.name, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`);
    return wait;
  }
  rec.backoff = backoffNext(rec.backoff, finished);
  rec.backoffUntil = undefined;
  rec.restartAfterKill = false;
  rec.restartCount++;
  const retry = await startContainer(ctx, st, rec, c, pod);
  if (retry !== undefined) rec.restartCount--; // no new instance after all (config not ready, image pull backing off)
  return retry;
}

/** Registry credentials from the pod's imagePullSecrets (a missing Secret is skipped, as the kubelet does). */
async function pullAuth(ctx: StartContext, pod: any): Promise<ContainerConfig['pullAuth']> {
  const refs: any[] = pod.spec?.imagePullSecrets ?? [];
  if (!refs.length || !ctx.getSecret) return undefined;
  const secrets = await Promise.all(refs.map((r) => ctx.getSecret!(pod.metadata.namespace, r.name).catch(() => undefined)));
  return pullAuthFromSecrets(secrets.filter(Boolean));
}

/** Upstream runs postStart right after the start and kills the container when it fails. */
async function postStart(ctx: StartContext, st: StartPodState, rec: ContainerRecord, c: any, pod: any, id: string): Promise<void> {
  const hook = c.lifecycle?.postStart;
  if (!hook || rec.current?.state !== 'running') return;
  const r = await runHook(hook, ctx.target(st, c, id), pod, 0);
  if (r.ok) return;
  ctx.event(pod, c.name, 'Warning', 'FailedPostStartHook', r.message);
  await killContainer({ pod, target: ctx.target(st, c, id), reason: 'postStart', message: 'FailedPostStartHook', event: (type, reason, m) => ctx.event(pod, c.name, type, reason, m) });
  rec.current = (await ctx.runtime.containerStatus(id)) ?? rec.current;
}
