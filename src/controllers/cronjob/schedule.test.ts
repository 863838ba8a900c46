import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../util/cron.js';
import { jobNameFor, mostRecentScheduleTime, rfc3339In } from './schedule.js';

const T = (s: string) => Date.parse(s);

describe('cron schedules as Kubernetes parses them', () => {
  it('takes five fields and the macros, in a time zone', () => {
    assert.equal(parseSchedule('*/5 * * * *', 'UTC').next(T('2026-01-01T00:03:00Z')), T('2026-01-01T00:05:00Z'));
    assert.equal(parseSchedule('@hourly', 'UTC').next(T('2026-01-01T00:03:00Z')), T('2026-01-01T01:00:00Z'));
    assert.equal(parseSchedule('@midnight', 'UTC').next(T('2026-01-01T00:03:00Z')), T('2026-01-02T00:00:00Z'));
    // 09:00 in New York in January is 14:00 UTC.
    assert.equal(parseSchedule('0 9 * * *', 'America/New_York').next(T('2026-01-01T00:00:00Z')), T('2026-01-01T14:00:00Z'));
    // next() is strictly after its argument.
    assert.equal(parseSchedule('* * * * *', 'UTC').next(T('2026-01-01T00:01:00Z')), T('2026-01-01T00:02:00Z'));
  });

  it('rejects what the upstream parser rejects', () => {
    assert.throws(() => parseSchedule('* * * * * *', 'UTC'), /exactly 5 fields/);
    assert.throws(() => parseSchedule('61 * * * *', 'UTC'));
    assert.throws(() => parseSchedule('TZ=UTC * * * * *'), /use timeZone field/);
    assert.throws(() => parseSchedule('@every 5m', 'UTC'), /unrecognized descriptor/);
    assert.throws(() => parseSchedule('H * * * *', 'UTC'));
    assert.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'), /unknown time zone/);
    assert.doesNotThrow(() => parseSchedule('0 0 * * THU', 'UTC'));
  });

  it('finds the most recent missed time and flags more than 100 missed', () => {
    const every = parseSchedule('* * * * *', 'UTC');
    const now = T('2026-01-01T12:00:30Z');
    assert.deepEqual(mostRecentScheduleTime(every, T('2026-01-01T12:00:00Z'), now), { tooMany: false });
    assert.deepEqual(mostRecentScheduleTime(every, T('2026-01-01T11:59:10Z'), now), { mostRecent: T('2026-01-01T12:00:00Z'), tooMany: false });
    // Three hours down: one start (the latest), reported as too many missed.
    assert.deepEqual(mostRecentScheduleTime(every, T('2026-01-01T09:00:00Z'), now), { mostRecent: T('2026-01-01T12:00:00Z'), tooMany: true });
    // startingDeadlineSeconds bounds how far back we look.
    assert.deepEqual(mostRecentScheduleTime(every, T('2026-01-01T09:00:00Z'), now, 200), { mostRecent: T('2026-01-01T12:00:00Z'), tooMany: false });
    // Uneven schedules (weekdays at 9) still land on the right time.
    const weekdays = parseSchedule('0 9 * * 1-5', 'UTC');
    assert.equal(mostRecentScheduleTime(weekdays, T('2025-06-01T00:00:00Z'), T('2026-01-04T10:00:00Z')).mostRecent, T('2026-01-02T09:00:00Z'));
  });

  it('names jobs by minute and stamps them in the CronJob zone', () => {
    assert.equal(jobNameFor('hello', T('2026-01-01T00:05:00Z')), `hello-${T('2026-01-01T00:05:00Z') / 60000}`);
    assert.equal(rfc3339In(T('2026-01-01T14:00:00Z'), 'America/New_York'), '2026-01-01T09:00:00-05:00');
    assert.equal(rfc3339In(T('2026-07-01T14:00:00Z'), 'Asia/Kolkata'), '2026-07-01T19:30:00+05:30');
    assert.equal(rfc3339In(T('2026-01-01T14:00:00Z'), 'UTC'), '2026-01-01T14:00:00Z');
  });
});
