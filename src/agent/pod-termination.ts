/**
 * Ending a pod's containers as the kubelet's killPod: every running container is stopped
 * in parallel through killContainer (Killing event "Stopping container x", preStop inside
 * the grace period, SIGTERM, SIGKILL), then the sandbox is stopped. Used for deletion
 * (graceful, or forced: the pod is gone from the API) and activeDeadlineSeconds.
 */
import { killContainer, type KillReason } from './lifecycle/kill.js';
import { sidecarNames } from './lifecycle/sidecars.js';
import type { HandlerTarget } from './probes/types.js';
import type { ContainerRecord } from './pod-status.js';
import type { Runtime } from './runtime/types.js';

export const DEADLINE_REASON = 'DeadlineExceeded';
export const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** Milliseconds left before activeDeadlineSeconds ends the pod (undefined: no deadline). */
export function deadlineRemainingMs(pod: any, startTime: string | undefined, now: number): number | undefined {
  const ads = pod.spec?.activeDeadlineSeconds;
  const start = pod.status?.startTime ?? startTime;
  if (ads === undefined || ads === null || !start) return undefined;
  return Date.parse(start) + ads * 1000 - now;
}

/**
 * The grace period for a pod that disappeared from the API without the agent seeing a
 * graceful deletion (kubectl delete --grace-period=0 --force): as upstream's
 * calculateEffectiveGracePeriod, a zero falls back to the spec's
 * terminationGracePeriodSeconds, and it is never below 1 s.
 */
export function forcedGracePeriod(pod: any): number {
  let g = pod?.metadata?.deletionGracePeriodSeconds ?? 0;
  if (g === 0) g = pod?.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(1, g);
}

export interface KillPodOptions {
  runtime: Runtime;
  pod: any;
  sandboxId?: string;
  init: Map<string, ContainerRecord>;
  app: Map<string, ContainerRecord>;
  reason: KillReason;
  gracePeriodOverride?: number;
  target(spec: any, containerId: string): HandlerTarget;
  event(containerName: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export async function killPod(o: KillPodOptions): Promise<void> {
  const specs = [...(o.pod.spec?.containers ?? []), ...(o.pod.spec?.initContainers ?? [])];
  const sidecars = sidecarNames(o.pod);
  // Regular containers stop together; sidecars after them, the last declared first.
  const regular = [...o.app, ...[...o.init].filter(([n]) => !sidecars.has(n))];
  await stopAll(o, specs, regular);
  for (const name of [...sidecars].reverse()) {
    const rec = o.init.get(name);
    if (rec) await stopAll(o, specs, [[name, rec]]);
  }
  if (o.sandboxId) await o.runtime.stopPodSandbox(o.sandboxId);
}

async function stopAll(o: KillPodOptions, specs: any[], recs: [string, ContainerRecord][]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const [name, rec] of recs) {
    const cur = rec.current;
    const spec = specs.find((s) => s.name === name) ?? { name };
    if (!cur || (cur.state !== 'running' && cur.state !== 'created')) continue;
    jobs.push(
      killContainer({
        pod: o.pod,
        target: o.target(spec, cur.id),
        reason: o.reason,
        message: `Stopping container ${name}`,
        gracePeriodOverride: o.gracePeriodOverride,
        event: (type, reason, message) => o.event(name, type, reason, message),
      }).then(async () => {
        rec.current = (await o.runtime.containerStatus(cur.id)) ?? rec.current;
      }),
    );
  }
  await Promise.allSettled(jobs);
}
