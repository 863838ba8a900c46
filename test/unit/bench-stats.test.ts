import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, pool } from '../../bench/lib/stats.js';

describe('bench stats', () => {
  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.equal(percentile([], 50), 0);
  });
  it('never runs more than the concurrency at once', async () => {
    let now = 0,
      max = 0;
    await pool([...Array(20).keys()], 3, async () => {
      now++;
      max = Math.max(max, now);
      await new Promise((r) => setTimeout(r, 1));
      now--;
    });
    assert.equal(max, 3);
  });
});
