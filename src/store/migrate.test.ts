/** copyStore: latest values only, one snapshot, re-runnable, conflicts reported (or forced). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from './memory.js';
import { copyStore, MIGRATION_MARKER_KEY } from './migrate.js';

async function seeded(): Promise<MemoryBackend> {
  const b = new MemoryBackend();
  for (let i = 0; i < 25; i++) await b.create(`/registry/core/configmaps/default/cm-${String(i).padStart(2, '0')}`, `{"v":${i}}`);
  const kv = (await b.get('/registry/core/configmaps/default/cm-03')).kv!;
  await b.update(kv.key, '{"v":"three"}', kv.modRevision);
  await b.delete('/registry/core/configmaps/default/cm-04');
  return b;
}

describe('copyStore', () => {
  it('copies every live key with its latest value, page by page, and records a marker', async () => {
    const from = await seeded();
    const to = new MemoryBackend();
    await to.create('/unrelated', 'x');
    const r = await copyStore(from, to, { pageSize: 7, concurrency: 3, source: 'test' });
    assert.equal(r.copied, 24);
    assert.equal(r.conflicts.length, 0);
    const got = await to.list('/registry/');
    assert.equal(got.kvs.length, 24);
    assert.equal((await to.get('/registry/core/configmaps/default/cm-03')).kv!.value, '{"v":"three"}');
    assert.equal((await to.get('/registry/core/configmaps/default/cm-04')).kv, undefined);
    const marker = JSON.parse((await to.get(MIGRATION_MARKER_KEY)).kv!.value);
    assert.equal(marker.source, 'test');
    assert.equal(marker.keys, 24);
  });

  it('reads one snapshot: writes to the source during the copy are not mixed in', async () => {
    const from = await seeded();
    const to = new MemoryBackend();
    let once = false;
    const r = await copyStore(from, to, {
      pageSize: 5,
      onProgress: () => {
        if (once) return;
        once = true;
        void from.create('/registry/core/configmaps/default/cm-99', '{}');
      },
    });
    assert.equal(r.copied, 24);
    assert.equal((await to.get('/registry/core/configmaps/default/cm-99')).kv, undefined);
  });

  it('runs again after an interruption; other values are conflicts unless forced', async () => {
    const from = await seeded();
    const to = new MemoryBackend();
    await to.create('/registry/core/configmaps/default/cm-00', '{"v":0}'); // copied before the interruption
    await to.create('/registry/core/configmaps/default/cm-01', '{"other":true}'); // written by someone else
    const r1 = await copyStore(from, to);
    assert.equal(r1.unchanged, 1);
    assert.deepEqual(r1.conflicts, ['/registry/core/configmaps/default/cm-01']);
    assert.equal((await to.get(MIGRATION_MARKER_KEY)).kv, undefined, 'no marker while conflicts remain');
    const r2 = await copyStore(from, to, { force: true });
    assert.equal(r2.overwritten, 1);
    assert.equal(r2.copied, 0);
    assert.equal((await to.get('/registry/core/configmaps/default/cm-01')).kv!.value, '{"v":1}');
    assert.ok((await to.get(MIGRATION_MARKER_KEY)).kv);
  });
});
