/**
 * Cron schedules as Kubernetes parses them: five fields, or one of the
 * @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly macros; no seconds field
 * and no TZ=/CRON_TZ= prefix (the CronJob's timeZone field carries the zone).
 */
import { CronExpressionParser } from 'cron-parser';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface Schedule {
  /** The first schedule time strictly after `t` (ms since the epoch). */
  next(t: number): number;
}

/** A valid IANA zone name (what Go's time.LoadLocation accepts). */
export function isValidTimeZone(tz: string): boolean {
  if (!tz || tz.trim() !== tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The controller manager's own zone: upstream interprets schedules without timeZone in local time. */
export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Parse `schedule` in `timeZone` (default: the local zone); throws with the reason. */
export function parseSchedule(schedule: string, timeZone?: string | null): Schedule {
  const text = schedule.trim();
  if (/^(CRON_)?TZ=/.test(text)) throw new Error('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  let expr: string;
  if (text.startsWith('@')) {
    expr = MACROS[text];
    if (!expr) throw new Error(`unrecognized descriptor: ${text}`);
  } else {
    const fields = text.split(/\s+/);
    if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    // cron-parser also takes Jenkins' "H"; Kubernetes' parser does not.
    if (fields.some((f) => /(^|[^A-Z])H([^A-Z]|$)/i.test(f))) throw new Error(`failed to parse int from ${fields.find((f) => /H/i.test(f))}`);
    expr = fields.join(' ');
  }
  const tz = timeZone ?? localTimeZone();
  if (!isValidTimeZone(tz)) throw new Error(`unknown time zone ${tz}`);
  // Parse once now so a bad field is reported at validation time.
  CronExpressionParser.parse(expr, { currentDate: new Date(0), tz });
  return { next: (t) => CronExpressionParser.parse(expr, { currentDate: new Date(t), tz }).next().getTime() };
}
