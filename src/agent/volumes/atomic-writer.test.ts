import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic, validatePayloadPath, type FileProjection } from './atomic-writer.js';

const payload = (o: Record<string, string | [string, number]>) =>
  new Map<string, FileProjection>(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? { data: v, mode: 0o644 } : { data: v[0], mode: v[1] }]));
const versions = async (dir: string) => (await readdir(dir)).filter((n) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./.test(n));

describe('AtomicWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'skiff-aw-')), 'vol');
  });
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

  it('lays files out as a timestamped version, ..data, and user-visible links through ..data', async () => {
    const at = new Date(Date.UTC(2026, 10, 30, 14, 2, 11));
    assert.equal(await writeAtomic(dir, payload({ 'a.conf': 'A', 'nested/deep/b.txt': ['B', 0o600] }), { now: () => at }), true);
    const [ts] = await versions(dir);
    assert.match(ts, /^\.\.2026_11_30_14_02_11\./);
    assert.equal(await readlink(join(dir, '..data')), ts);
    assert.equal(await readlink(join(dir, 'a.conf')), '..data/a.conf');
    assert.equal(await readlink(join(dir, 'nested')), '..data/nested');
    assert.equal(await readFile(join(dir, 'a.conf'), 'utf8'), 'A');
    assert.equal(await readFile(join(dir, 'nested/deep/b.txt'), 'utf8'), 'B');
    assert.equal((await stat(join(dir, 'a.conf'))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dir, 'nested/deep/b.txt'))).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ['..data', ts, 'a.conf', 'nested'].sort());
  });

  it('updates in place: old content stays visible until the ..data swap, then the new one; removed keys disappear', async () => {
    await writeAtomic(dir, payload({ keep: 'v1', gone: 'old', 'sub/x': '1' }));
    const [v1] = await versions(dir);
    let seenBeforeSwap: Record<string, string> = {};
    const changed = await writeAtomic(dir, payload({ keep: 'v2', added: 'new' }), {
      beforeSwap: async () => {
        // The new version is fully written, but readers still see the old one.
        seenBeforeSwap = { keep: await readFile(join(dir, 'keep'), 'utf8'), gone: await readFile(join(dir, 'gone'), 'utf8') };
        assert.equal((await versions(dir)).length, 2);
      },
    });
    assert.equal(changed, true);
    assert.deepEqual(seenBeforeSwap, { keep: 'v1', gone: 'old' });
    assert.equal(await readFile(join(dir, 'keep'), 'utf8'), 'v2');
    assert.equal(await readFile(join(dir, 'added'), 'utf8'), 'new');
    await assert.rejects(lstat(join(dir, 'gone')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(dir, 'sub')), { code: 'ENOENT' });
    const now = await versions(dir);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], v1); // the old version directory was removed
  });

  it('writes nothing when the payload is unchanged, and a new version when only a mode changes', async () => {
    await writeAtomic(dir, payload({ a: 'same' }));
    const [v1] = await versions(dir);
    assert.equal(await writeAtomic(dir, payload({ a: 'same' })), false);
    assert.deepEqual(await versions(dir), [v1]);
    assert.equal(await writeAtomic(dir, payload({ a: ['same', 0o400] })), true);
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o400);
  });

  it('an empty payload makes an empty volume; a user-visible link comes back if deleted', async () => {
    assert.equal(await writeAtomic(dir, new Map()), true);
    assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')), []);
    await writeAtomic(dir, payload({ a: '1' }));
    await rm(join(dir, 'a'));
    await writeAtomic(dir, payload({ a: '1' }));
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), '1');
  });

  it('rejects paths that escape the volume or collide with its own names', async () => {
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '..data', '..hidden/x', ''])
      assert.throws(() => validatePayloadPath(bad), /invalid path/, bad);
    validatePayloadPath('a/..b/c');
    await assert.rejects(writeAtomic(dir, payload({ '../escape': 'x' })), /invalid path/);
  });
});
