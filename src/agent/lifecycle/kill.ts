/**
 * Stopping one container as the kubelet's killContainer: a `Killing` event, then the
 * preStop hook (if any) inside the grace period, then the runtime's stop (SIGTERM, SIGKILL
 * when what is left of the grace period runs out). The grace period is the pod's
 * deletionGracePeriodSeconds while it is being deleted, else the probe's own
 * terminationGracePeriodSeconds for a liveness/startup kill, else the pod's
 * terminationGracePeriodSeconds (default 30); after the hook at least 2 s remain
 * (upstream's minimumGracePeriodInSeconds) so containers are not SIGKILLed needlessly.
 *
 * Worked example: grace 30, preStop takes 12 s → stop with 18 s; preStop hangs → it is
 * abandoned after 30 s and the stop gets 2 s.
 */
import type { HandlerTarget } from '../probes/types.js';
import { runHook } from './hooks.js';

export const MIN_GRACE_SECONDS = 2;

export type KillReason = 'liveness' | 'startup' | 'deletion' | 'postStart' | 'deadline';

export interface KillOptions {
  pod: any;
  target: HandlerTarget;
  reason: KillReason;
  /** The Killing event's message. */
  message: string;
  /** Forces the grace period (force deletion from the API). */
  gracePeriodOverride?: number;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  now?: () => number;
}

/** The grace period before the preStop hook runs (upstream killContainer). */
export function gracePeriodFor(pod: any, container: any, reason: KillReason): number {
  if (pod.metadata?.deletionGracePeriodSeconds !== undefined && pod.metadata?.deletionTimestamp) return pod.metadata.deletionGracePeriodSeconds;
  const probe = reason === 'liveness' ? container.livenessProbe : reason === 'startup' ? container.startupProbe : undefined;
  if (probe?.terminationGracePeriodSeconds !== undefined) return probe.terminationGracePeriodSeconds;
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export async function killContainer(o: KillOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const { target } = o;
  let grace = o.gracePeriodOverride ?? gracePeriodFor(o.pod, target.container, o.reason);
  o.event('Normal', 'Killing', o.message);
  const preStop = target.container.lifecycle?.preStop;
  if (preStop && grace > 0) {
    const start = now();
    let timer: NodeJS.Timeout | undefined;
    const hook = runHook(preStop, target, o.pod, grace).then((r) => {
      // Upstream keeps the hook's error out of the event (it may hold secrets).
      if (!r.ok) o.event('Warning', 'FailedPreStopHook', 'PreStopHook failed');
    });
    await Promise.race([hook.catch(() => o.event('Warning', 'FailedPreStopHook', 'PreStopHook failed')), new Promise<void>((r) => (timer = setTimeout(r, grace * 1000)))]);
    clearTimeout(timer);
    grace -= Math.floor((now() - start) / 1000);
  }
  if (o.gracePeriodOverride === undefined && grace < MIN_GRACE_SECONDS) grace = MIN_GRACE_SECONDS;
  await target.runtime.stopContainer(target.containerId, Math.max(0, grace));
}
