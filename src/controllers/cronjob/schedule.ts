/**
 * The "most recent missed schedule" arithmetic of upstream's cronjob controller, and the
 * names and timestamps of the Jobs it starts.
 */
import { localTimeZone, type Schedule } from '../../util/cron.js';

/** More than this many missed start times is reported, not replayed (upstream's limit). */
export const TOO_MANY_MISSED = 100;

export interface MissedSchedules {
  /** The latest schedule time ≤ now not yet started, if any. */
  mostRecent?: number;
  /** More than TOO_MANY_MISSED schedule times were missed. */
  tooMany: boolean;
}

/**
 * Upstream's mostRecentScheduleTime: start from lastScheduleTime (or creation), or from
 * now − startingDeadlineSeconds when that is later, and find the most recent schedule
 * time ≤ now, counting how many were missed without walking thousands of them.
 */
export function mostRecentScheduleTime(sched: Schedule, earliest: number, now: number, startingDeadlineSeconds?: number | null): MissedSchedules {
  if (startingDeadlineSeconds !== undefined && startingDeadlineSeconds !== null) earliest = Math.max(earliest, now - startingDeadlineSeconds * 1000);
  const t1 = sched.next(earliest);
  if (now < t1) return { tooMany: false };
  const t2 = sched.next(t1);
  if (now < t2) return { mostRecent: t1, tooMany: false };
  const between = Math.round((t2 - t1) / 1000);
  const missed = Math.floor((now - t1) / 1000 / between) + 1;
  // Jump close to the end (schedules need not be evenly spaced), then walk forward.
  let recent = missed > 10 ? t1 + (missed - 6) * between * 1000 : t1;
  if (recent > now) recent = t1;
  for (let t = sched.next(recent); t <= now; t = sched.next(t)) recent = t;
  return { mostRecent: recent, tooMany: missed > TOO_MANY_MISSED };
}

/** The job name for one scheduled time: `<cronjob>-<minutes since the epoch>`. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 in `timeZone` (the scheduled-timestamp annotation is written in the CronJob's zone). */
export function rfc3339In(ms: number, timeZone?: string | null): string {
  const tz = timeZone ?? localTimeZone();
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  const offMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const stamp = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  if (offMin === 0) return `${stamp}Z`;
  const sign = offMin < 0 ? '-' : '+';
  const a = Math.abs(offMin);
  return `${stamp}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
