import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './workqueue.js';
import { runWorkers } from './controller.js';
import { TerminalError } from './errors.js';
import { silentLogger } from '../util/log.js';
import { matchesSelector, selectorToString } from './selector.js';

describe('WorkQueue', () => {
  it('collapses duplicates and hands keys out in order', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    q.shutDown();
  });

  it('addAfter keeps the earlier of two wake-ups for a waiting key (client-go delaying queue)', async () => {
    const q = new WorkQueue();
    // The queue's timers are unref'd: this one keeps the test's event loop alive meanwhile.
    const keepAlive = setTimeout(() => {}, 10_000);
    q.addAfter('a', 30);
    q.addAfter('a', 60_000);
    const t0 = Date.now();
    assert.equal(await q.get(), 'a');
    assert.ok(Date.now() - t0 < 30_000, 'the later wake-up did not postpone the earlier one');
    q.done('a');
    q.addAfter('b', 60_000);
    q.addAfter('b', 20);
    assert.equal(await q.get(), 'b', 'an earlier wake-up replaces a later one');
    clearTimeout(keepAlive);
    q.shutDown();
  });

  it('never gives one key to two workers; a key re-added while processing comes back after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    assert.equal(q.length, 0, 'a is processing: not queued again yet');
    q.done(k!);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'a');
    q.shutDown();
  });

  it('backs off exponentially per key and forgets on success', () => {
    const q = new WorkQueue({ baseDelayMs: 1000 });
    q.addRateLimited('x');
    q.addRateLimited('x');
    assert.equal(q.numRequeues('x'), 2);
    q.forget('x');
    assert.equal(q.numRequeues('x'), 0);
    q.shutDown();
  });

  it('get() resolves undefined after shutDown', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.shutDown();
    assert.equal(await p, undefined);
  });
});

describe('runWorkers', () => {
  it('retries failures with backoff, forgets terminal errors, stops on abort', async () => {
    const q = new WorkQueue({ baseDelayMs: 1 });
    // The retry waits on the queue's unref'd timer: keep the event loop alive meanwhile.
    const keepAlive = setTimeout(() => {}, 10_000);
    const calls: string[] = [];
    const ac = new AbortController();
    let failOnce = true;
    const done = runWorkers({
      name: 't',
      queue: q,
      workers: 2,
      log: silentLogger,
      signal: ac.signal,
      sync: async (key) => {
        calls.push(key);
        if (key === 'flaky' && failOnce) {
          failOnce = false;
          throw new Error('boom');
        }
        if (key === 'bad') throw new TerminalError('invalid');
        if (calls.filter((c) => c !== 'bad').length >= 3) ac.abort();
      },
    });
    q.add('flaky');
    q.add('bad');
    q.add('ok');
    await done;
    clearTimeout(keepAlive);
    assert.equal(calls.filter((c) => c === 'flaky').length, 2);
    assert.equal(calls.filter((c) => c === 'bad').length, 1);
  });
});

describe('label selectors', () => {
  it('matches matchLabels and expressions; nil matches nothing, {} everything', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['fe', 'be'] }] };
    assert.equal(matchesSelector(sel, { app: 'web', tier: 'fe' }), true);
    assert.equal(matchesSelector(sel, { app: 'web', tier: 'db' }), false);
    assert.equal(matchesSelector(undefined, { app: 'web' }), false);
    assert.equal(matchesSelector({}, { app: 'web' }), true);
    assert.equal(selectorToString(sel), 'app=web,tier in (be,fe)');
  });
});
