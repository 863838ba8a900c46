/**
 * Crash-loop back-off as the kubelet's (flowcontrol.Backoff keyed per container): the
 * first restart after an exit is immediate and arms a 10 s back-off; each later exit
 * that comes while the entry is live doubles it, up to 5 min. An entry expires when two
 * exits are more than 10 min (2 × max) apart, i.e. after ~10 min of running.
 *
 * Worked example (exits at t=0, 1, 12, 33 s): t=0 → restart now, back-off 10s;
 * t=1 → wait until 11 ("back-off 10s"), restart at 11, back-off 20s;
 * t=12 → wait until 32 ("back-off 20s"), restart, back-off 40s; t=33 → wait "back-off 40s".
 */

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

export interface BackoffEntry {
  backoffMs: number;
  /** The exit (finishedAt) that last advanced the entry. */
  lastUpdate: number;
}

const expired = (e: BackoffEntry, eventTime: number) => eventTime - e.lastUpdate > 2 * BACKOFF_MAX_MS;

/** Remaining back-off for an exit at finishedAt, or 0 if the container may restart now. */
export function backoffRemaining(e: BackoffEntry | undefined, finishedAt: number, now: number): number {
  if (!e || expired(e, finishedAt)) return 0;
  return Math.max(0, finishedAt + e.backoffMs - now);
}

/** Advances the entry when a restart happens for the exit at finishedAt (upstream Backoff.Next). */
export function backoffNext(e: BackoffEntry | undefined, finishedAt: number): BackoffEntry {
  if (!e || expired(e, finishedAt)) return { backoffMs: BACKOFF_INITIAL_MS, lastUpdate: finishedAt };
  return { backoffMs: Math.min(BACKOFF_MAX_MS, e.backoffMs * 2), lastUpdate: finishedAt };
}

/** A whole number of seconds as Go's time.Duration prints it: 10s, 1m20s, 5m0s, 1h0m0s. */
export function goDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${m}m${s % 60}s` : `${m}m${s % 60}s`;
}
