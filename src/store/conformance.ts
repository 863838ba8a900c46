/**
 * The store conformance suite: the Backend contract every backend (memory, sqlite, etcd)
 * must pass unchanged. `runBackendConformance(name, open)` registers node:test cases;
 * `open` returns a fresh, empty backend.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, WatchEvent } from './types.js';
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from './errors.js';

export interface ConformanceOptions {
  /** test name → reason it is skipped for this backend */
  skip?: Record<string, string>;
}

function collect(b: Backend, prefix: string, afterRevision: number) {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  let wake: (() => void) | undefined;
  const ready = b.watch(prefix, { afterRevision, signal: ac.signal }, (evs) => {
    events.push(...evs);
    wake?.();
  });
  return {
    ready,
    events,
    stop: () => ac.abort(),
    async waitFor(n: number, ms = 5000): Promise<WatchEvent[]> {
      const end = Date.now() + ms;
      while (events.length < n) {
        if (Date.now() > end) throw new Error(`timed out with ${events.length}/${n} events`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return events;
    },
  };
}

export function runBackendConformance(name: string, open: () => Promise<Backend>, opts: ConformanceOptions = {}): void {
  describe(`store conformance: ${name}`, () => {
    const opened: Backend[] = [];
    const fresh = async () => {
      const b = await open();
      opened.push(b);
      return b;
    };
    after(async () => {
      for (const b of opened) await b.close();
    });
    // Every test gets its own key prefix, so backends that share one keyspace (etcd) pass too.
    let P = '';
    const test = (title: string, fn: () => Promise<void>) =>
      it(title, { skip: opts.skip?.[title] }, async () => {
        P = `/t${Math.random().toString(36).slice(2, 10)}/`;
        await fn();
      });

    test('every write advances the one global revision', async () => {
      const b = await fresh();
      const r0 = await b.currentRevision();
      const a = await b.create(`${P}a`, '1');
      const u = await b.update(`${P}a`, '2', a.modRevision);
      const d = await b.delete(`${P}a`);
      assert.ok(a.modRevision > r0 && u.modRevision > a.modRevision && d.revision > u.modRevision);
      assert.equal(u.createRevision, a.createRevision);
      assert.equal(await b.currentRevision(), d.revision);
    });

    test('create fails when the key exists; get returns the latest value', async () => {
      const b = await fresh();
      await b.create(`${P}k`, 'v1');
      await assert.rejects(b.create(`${P}k`, 'v2'), KeyExistsError);
      assert.equal((await b.get(`${P}k`)).kv?.value, 'v1');
      assert.equal((await b.get(`${P}missing`)).kv, undefined);
    });

    test('update and delete are guarded by the mod revision', async () => {
      const b = await fresh();
      const k = await b.create(`${P}k`, 'v1');
      const k2 = await b.update(`${P}k`, 'v2', k.modRevision);
      await assert.rejects(b.update(`${P}k`, 'v3', k.modRevision), (e: unknown) => e instanceof RevisionConflictError && e.current.modRevision === k2.modRevision && e.current.value === 'v2');
      await assert.rejects(b.update(`${P}nope`, 'x', 1), KeyNotFoundError);
      await assert.rejects(b.delete(`${P}k`, k.modRevision), RevisionConflictError);
      const d = await b.delete(`${P}k`, k2.modRevision);
      assert.equal(d.prevKv.value, 'v2');
      await assert.rejects(b.delete(`${P}k`), KeyNotFoundError);
      assert.equal((await b.get(`${P}k`)).kv, undefined);
      const again = await b.create(`${P}k`, 'v4');
      assert.equal(again.createRevision, again.modRevision, 'a re-created key has a new create revision');
    });

    test('list by prefix in key order, with limit and continuation, never matching siblings', async () => {
      const b = await fresh();
      for (const k of ['c', 'a', 'b', 'd']) await b.create(`${P}p/${k}`, k);
      await b.create(`${P}pp/x`, 'sibling');
      const all = await b.list(`${P}p/`);
      assert.deepEqual(all.kvs.map((kv) => kv.value), ['a', 'b', 'c', 'd']);
      assert.equal(all.more, false);
      const page1 = await b.list(`${P}p/`, { limit: 2 });
      assert.deepEqual(page1.kvs.map((kv) => kv.value), ['a', 'b']);
      assert.equal(page1.more, true);
      const page2 = await b.list(`${P}p/`, { limit: 2, startKey: page1.kvs[1].key + '\0', revision: page1.revision });
      assert.deepEqual(page2.kvs.map((kv) => kv.value), ['c', 'd']);
      assert.equal(page2.more, false);
      assert.equal((await b.count(`${P}p/`)).count, 4);
    });

    test('list at a past revision sees the values and keys of that time', async () => {
      const b = await fresh();
      const a = await b.create(`${P}h/a`, '1');
      await b.create(`${P}h/b`, '1');
      const then = await b.currentRevision();
      await b.update(`${P}h/a`, '2', a.modRevision);
      await b.delete(`${P}h/b`);
      await b.create(`${P}h/c`, '1');
      const past = await b.list(`${P}h/`, { revision: then });
      assert.deepEqual(past.kvs.map((kv) => [kv.key.slice(-1), kv.value]), [['a', '1'], ['b', '1']]);
      const now = await b.list(`${P}h/`);
      assert.deepEqual(now.kvs.map((kv) => [kv.key.slice(-1), kv.value]), [['a', '2'], ['c', '1']]);
    });

    test('watch from now sees creates, updates and deletes (with prevKv) under the prefix only', async () => {
      const b = await fresh();
      const w = collect(b, `${P}w/`, await b.currentRevision());
      await w.ready;
      const k = await b.create(`${P}w/a`, '1');
      await b.create(`${P}other`, 'x');
      await b.update(`${P}w/a`, '2', k.modRevision);
      await b.delete(`${P}w/a`);
      const evs = await w.waitFor(3);
      assert.deepEqual(evs.map((e) => e.type), ['create', 'update', 'delete']);
      assert.equal(evs[1].prevKv?.value, '1');
      assert.equal(evs[2].prevKv?.value, '2');
      assert.ok(evs[0].revision < evs[1].revision && evs[1].revision < evs[2].revision);
      w.stop();
    });

    test('watch from a past revision replays then continues live, with no gap or duplicate', async () => {
      const b = await fresh();
      const start = await b.currentRevision();
      for (let i = 0; i < 5; i++) await b.create(`${P}r/${i}`, String(i));
      const w = collect(b, `${P}r/`, start + 2);
      await w.ready;
      for (let i = 5; i < 8; i++) await b.create(`${P}r/${i}`, String(i));
      const evs = await w.waitFor(6);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(w.events.map((e) => e.kv.value), ['2', '3', '4', '5', '6', '7']);
      w.stop();
    });

    test('several watchers each get every event; an aborted one gets no more', async () => {
      const b = await fresh();
      const rev = await b.currentRevision();
      const w1 = collect(b, `${P}m/`, rev);
      const w2 = collect(b, `${P}m/`, rev);
      await Promise.all([w1.ready, w2.ready]);
      await b.create(`${P}m/1`, '1');
      await w1.waitFor(1);
      await w2.waitFor(1);
      w2.stop();
      await b.create(`${P}m/2`, '2');
      await w1.waitFor(2);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(w2.events.length, 1);
      w1.stop();
    });

    test('compaction keeps latest values but makes older revisions unreadable', async () => {
      const b = await fresh();
      const a = await b.create(`${P}c/a`, '1');
      const old = await b.currentRevision();
      await b.update(`${P}c/a`, '2', a.modRevision);
      await b.create(`${P}c/b`, '1');
      await b.delete(`${P}c/b`);
      const rev = await b.currentRevision();
      await b.compact(rev);
      assert.ok((await b.compactRevision()) >= rev);
      await assert.rejects(b.list(`${P}c/`, { revision: old }), CompactedError);
      await assert.rejects(b.watch(`${P}c/`, { afterRevision: old, signal: new AbortController().signal }, () => {}), CompactedError);
      const now = await b.list(`${P}c/`);
      assert.deepEqual(now.kvs.map((kv) => kv.value), ['2']);
      const n = await b.create(`${P}c/n`, 'new');
      assert.ok(n.modRevision > rev, 'the revision keeps growing after compaction');
    });

    test('concurrent creates of one key: exactly one wins', async () => {
      const b = await fresh();
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => b.create(`${P}race`, String(i))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof KeyExistsError));
    });
  });
}
