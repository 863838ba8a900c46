/**
 * The etcd backend's hand-encoded protobuf against a real etcd: values whose lengths sit
 * on varint boundaries (127/128, 16383/16384 bytes) and a large one (1.5 MiB) inside
 * nested messages, non-ASCII keys and values, and multi-byte revisions, all round-trip
 * through create, get, update, list and watch unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdBackend } from './etcd.js';
import { EtcdCluster, etcdAvailable } from './etcd-process.js';
import type { WatchEvent } from './types.js';

const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

describe('etcd backend wire encoding', { skip }, () => {
  let cluster: EtcdCluster;
  let b: EtcdBackend;
  before(async () => {
    cluster = await EtcdCluster.start(1);
    b = new EtcdBackend({ endpoints: cluster.endpoints });
  });
  after(async () => {
    await b?.close();
    await cluster?.stop();
  });

  it('round-trips values of boundary and large sizes, and non-ASCII keys', async () => {
    const sizes = [0, 1, 127, 128, 16383, 16384, 1_500_000];
    const start = await b.currentRevision();
    const seen: WatchEvent[] = [];
    const ac = new AbortController();
    await b.watch('/wire/', { afterRevision: start, signal: ac.signal }, (evs) => seen.push(...evs));
    const want = new Map<string, string>();
    for (const n of sizes) {
      const key = `/wire/ключ-${n}-ü`;
      const value = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
      want.set(key, value);
      const kv = await b.create(key, value);
      assert.equal(kv.value, value);
      const got = await b.get(key);
      assert.equal(got.kv?.value, value, `get of a ${n}-byte value`);
      assert.equal(got.kv?.modRevision, kv.modRevision);
      const upd = await b.update(key, value + '!', kv.modRevision);
      assert.equal(upd.createRevision, kv.createRevision);
      want.set(key, value + '!');
    }
    const list = await b.list('/wire/');
    assert.deepEqual(new Map(list.kvs.map((kv) => [kv.key, kv.value])), want);
    const end = Date.now() + 10_000;
    while (seen.length < sizes.length * 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    assert.equal(seen.length, sizes.length * 2);
    for (const e of seen) assert.equal(e.kv.value, e.type === 'create' ? want.get(e.kv.key)!.slice(0, -1) : want.get(e.kv.key));
  });

  it('reads multi-byte varint revisions and counts exactly', async () => {
    const before = await b.currentRevision();
    for (let i = 0; i < 200; i++) await b.create(`/rev/${i}`, 'v');
    const after = await b.currentRevision();
    assert.equal(after, before + 200);
    assert.equal((await b.count('/rev/')).count, 200);
  });
});
