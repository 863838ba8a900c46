/**
 * The kubelet's answer to a failed liveness or startup probe: the container is killed
 * (Killing event "Container x failed liveness probe, will be restarted", preStop, grace
 * period from the probe) in the background, and its exit restarts it unless the pod's
 * restartPolicy is Never (a sidecar always restarts). The pod is re-queued once it is down.
 */
import type { Logger } from '../../util/log.js';
import type { ContainerRecord } from '../pod-status.js';
import type { HandlerTarget } from '../probes/types.js';
import type { Runtime } from '../runtime/types.js';
import { killContainer } from './kill.js';
import { isSidecar } from './sidecars.js';

/** What a background kill needs from the pod worker. */
export interface BackgroundKillContext {
  runtime: Runtime;
  log: Logger;
  event(pod: any, containerName: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void;
  target(st: { podIP?: string }, spec: any, containerId: string): HandlerTarget;
  /** Asks for a sync of the pod once the kill has ended. */
  enqueue?: (key: string) => void;
}

/** A failed liveness or startup probe: kill (preStop, grace) in the background; the exit restarts it. */
export function killForProbe(ctx: BackgroundKillContext, st: { key: string; podIP?: string }, rec: ContainerRecord, c: any, pod: any, reason: 'liveness' | 'startup'): void {
  const key = st.key;
  const restart = isSidecar(c) || (pod.spec?.restartPolicy ?? 'Always') !== 'Never';
  const id = rec.current!.id;
  rec.killing = true;
  rec.restartAfterKill = restart;
  void killContainer({
    pod,
    target: ctx.target(st, c, id),
    reason,
    message: `Container ${c.name} failed ${reason} probe${restart ? ', will be restarted' : ''}`,
    event: (type, r, message) => ctx.event(pod, c.name, type, r, message),
  })
    .catch((err) => ctx.log.warn('killing container failed', { pod: key, container: c.name, err }))
    .then(async () => {
      const now = await ctx.runtime.containerStatus(id);
      if (now && rec.current?.id === id) rec.current = now;
      rec.killing = false;
      ctx.enqueue?.(key);
    });
}
