/** Unit tests of the benchmarks' percentile, pool and phase-limit helpers (bench/lib/stats). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { latency, percentile, PhaseTimeoutError, pool, within } from '../../bench/lib/stats.js';

describe('bench stats', () => {
  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.equal(percentile(xs, 0), 1);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([], 50), 0);
    assert.deepEqual(xs.slice(0, 2), [100, 99], 'input is not sorted in place');
  });
  it('summarises latencies', () => {
    assert.deepEqual(latency([3, 1, 2, 4]), { p50: 2, p99: 4, max: 4, n: 4 });
  });
  it('never runs more than the concurrency at once', async () => {
    let now = 0;
    let max = 0;
    let done = 0;
    await pool([...Array(20).keys()], 3, async () => {
      now++;
      max = Math.max(max, now);
      await new Promise((r) => setTimeout(r, 1));
      now--;
      done++;
    });
    assert.equal(max, 3);
    assert.equal(done, 20);
  });
  it('rejects with the first error of the pool', async () => {
    await assert.rejects(pool([1, 2, 3], 2, async (x) => { if (x === 2) throw new Error('boom'); }), /boom/);
  });
  it('bounds a phase in time', async () => {
    assert.equal(await within('quick', 1000, Promise.resolve(5)), 5);
    await assert.rejects(within('slow', 10, new Promise((r) => setTimeout(r, 200))), PhaseTimeoutError);
  });
});
