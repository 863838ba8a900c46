import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBackendConformance } from './conformance.js';
import { SqliteBackend } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
let n = 0;
runBackendConformance('sqlite', async () => new SqliteBackend({ path: join(dir, `db${n++}.sqlite`), compactIntervalMs: 0 }));

describe('sqlite persistence', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('keeps values, revisions and compaction across a reopen', async () => {
    const path = join(dir, 'reopen.sqlite');
    const a = new SqliteBackend({ path, compactIntervalMs: 0 });
    const k = await a.create('/r/a', '1');
    await a.update('/r/a', '2', k.modRevision);
    await a.create('/r/b', 'x');
    await a.delete('/r/b');
    const rev = await a.currentRevision();
    await a.compact(rev);
    await a.close();
    const b = new SqliteBackend({ path, compactIntervalMs: 0 });
    assert.equal(await b.currentRevision(), rev);
    assert.equal((await b.get('/r/a')).kv?.value, '2');
    assert.equal((await b.get('/r/b')).kv, undefined);
    assert.equal(await b.compactRevision(), rev);
    const c = await b.create('/r/c', 'y');
    assert.equal(c.modRevision, rev + 1);
    await b.close();
  });
});
