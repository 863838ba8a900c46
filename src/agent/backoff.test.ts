import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffNext, backoffRemaining, goDuration, type BackoffEntry } from './backoff.js';

describe('crash-loop back-off (kubelet flowcontrol.Backoff)', () => {
  it('restarts at once the first time, then waits 10s doubling to 5m', () => {
    let e: BackoffEntry | undefined;
    const waits: string[] = [];
    let t = 0;
    for (let i = 0; i < 8; i++) {
      // The container exits 1 s after each restart.
      const wait = backoffRemaining(e, t, t);
      waits.push(goDuration(wait / 1000));
      t += wait;
      e = backoffNext(e, t - wait);
      t += 1000;
    }
    assert.deepEqual(waits, ['0s', '10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s']);
  });
  it('forgets the back-off when exits are more than 10 minutes apart', () => {
    let e = backoffNext(undefined, 0);
    e = backoffNext(e, 1000);
    assert.equal(e.backoffMs, 20_000);
    assert.equal(backoffRemaining(e, 1000 + 11 * 60_000, 1000 + 11 * 60_000), 0);
    assert.equal(backoffNext(e, 1000 + 11 * 60_000).backoffMs, 10_000);
    assert.equal(backoffRemaining(e, 1000 + 9 * 60_000, 1000 + 9 * 60_000), 20_000);
  });
  it('prints durations as Go does', () => {
    assert.equal(goDuration(10), '10s');
    assert.equal(goDuration(80), '1m20s');
    assert.equal(goDuration(300), '5m0s');
    assert.equal(goDuration(3600), '1h0m0s');
  });
});
