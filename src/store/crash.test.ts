/** kill -9 at an arbitrary moment loses no acknowledged write (SQLite backend). */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from './sqlite.js';

const writer = new URL('./crash-writer.js', import.meta.url).pathname;

function runAndKill(path: string, prefix: string, afterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let t: NodeJS.Timeout | undefined;
    // The kill comes afterMs after the first acknowledgement, so a slow start on a busy
    // machine still leaves writes in flight when it lands.
    child.stdout.on('data', (c) => {
      out += c;
      t ??= setTimeout(() => child.kill('SIGKILL'), afterMs);
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(t);
      // Only complete lines were acknowledged before the kill.
      resolve(out.split('\n').slice(0, -1));
    });
  });
}

describe('sqlite crash safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged write after kill -9, three times over', async () => {
    const path = join(dir, 'crash.sqlite');
    let lastRev = 0;
    for (let round = 0; round < 3; round++) {
      const acked = await runAndKill(path, `/crash/r${round}/`, 100 + round * 150);
      assert.ok(acked.length > 0, 'the writer acknowledged some writes before it was killed');
      const b = new SqliteBackend({ path, compactIntervalMs: 0 });
      try {
        for (const key of acked) assert.equal((await b.get(key)).kv?.value, `value-of-${key}`, `acknowledged ${key} survived`);
        const rev = await b.currentRevision();
        assert.ok(rev > lastRev, 'the revision only grows');
        lastRev = rev;
        const n = await b.create(`/crash/after/${round}`, 'ok');
        assert.equal(n.modRevision, rev + 1);
        lastRev = n.modRevision;
      } finally {
        await b.close();
      }
    }
  });
});
