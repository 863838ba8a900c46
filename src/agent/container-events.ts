/**
 * The kubelet's container events, with upstream's (v1.32) reasons and messages:
 *   Pulling  "Pulling image \"busybox\""
 *   Pulled   "Successfully pulled image \"busybox\" in 1.627s (1.627s including waiting). Image size: 4269694 bytes."
 *   Pulled   "Container image \"busybox\" already present on machine"
 *   Created  "Created container app"          Started "Started container app"
 *   Failed   "Failed to pull image \"x\": ..." then "Error: ErrImagePull"
 *   BackOff  "Back-off pulling image \"x\"" (Normal) then Failed "Error: ImagePullBackOff"
 *   ErrImageNeverPull / InspectFailed for an image that may not be pulled / cannot be parsed.
 * Real nodes record them; hollow (simulated) nodes skip them to keep API writes per pod low.
 */
import type { ImageEvent } from './runtime/types.js';

export interface ContainerEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** A duration truncated to milliseconds as Go's time.Duration prints it: 313ms, 1.627s, 1m2.5s. */
export function goDurationMs(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  if (t === 0) return '0s';
  if (t < 1000) return `${t}ms`;
  const secs = (n: number) => `${(n / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const rest = t % 60_000;
  if (h) return `${h}h${m}m${secs(rest)}`;
  if (m) return `${m}m${secs(rest)}`;
  return secs(rest);
}

export function imageEvent(image: string, e: ImageEvent): ContainerEvent {
  switch (e.kind) {
    case 'present':
      return { type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` };
    case 'pulling':
      return { type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` };
    case 'pulled':
      return { type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${goDurationMs(e.pullMs)} (${goDurationMs(e.totalMs)} including waiting). Image size: ${e.size ?? 0} bytes.` };
  }
}

/** The events of a failed attempt to get an image (reason: the container's waiting reason). */
export function pullFailedEvents(reason: string, message: string): ContainerEvent[] {
  const first: ContainerEvent =
    reason === 'ErrImageNeverPull'
      ? { type: 'Warning', reason: 'ErrImageNeverPull', message }
      : reason === 'InvalidImageName'
        ? { type: 'Warning', reason: 'InspectFailed', message }
        : { type: 'Warning', reason: 'Failed', message };
  return [first, { type: 'Warning', reason: 'Failed', message: `Error: ${reason}` }];
}

/** While an image pull backs off. */
export function pullBackOffEvents(image: string): ContainerEvent[] {
  return [
    { type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${image}"` },
    { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
  ];
}

export const createdEvent = (name: string): ContainerEvent => ({ type: 'Normal', reason: 'Created', message: `Created container ${name}` });
export const startedEvent = (name: string): ContainerEvent => ({ type: 'Normal', reason: 'Started', message: `Started container ${name}` });
/** A container that could not be started (StartError). */
export const startFailedEvent = (err: unknown): ContainerEvent => ({ type: 'Warning', reason: 'Failed', message: `Error: ${(err as { details?: string })?.details ?? (err as Error)?.message ?? String(err)}` });
