import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailCriLog, TerminationMessages } from './termination-messages.js';
import type { ContainerStatus } from './runtime/types.js';

const exited = (id: string, exitCode: number, logPath?: string): ContainerStatus => ({ id, sandboxId: 's', name: 'c', state: 'exited', exitCode, createdAt: new Date(0), image: 'i', imageId: 'i', logPath });

describe('termination messages', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-term-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the tail of a CRI log: last 80 lines, partial lines joined, at most 2048 bytes', async () => {
    const log = join(dir, '0.log');
    const lines = Array.from({ length: 100 }, (_, i) => `2026-11-30T14:00:00.000000000Z ${i % 2 ? 'stderr' : 'stdout'} F line ${i}`);
    lines.push('2026-11-30T14:00:01.000000000Z stdout P part-', '2026-11-30T14:00:01.000000000Z stdout F ial');
    await writeFile(log, lines.join('\n') + '\n');
    const tail = await tailCriLog(log);
    const got = tail.trimEnd().split('\n');
    assert.equal(got.length, 80);
    assert.equal(got[0], 'line 21');
    assert.equal(got[79], 'part-ial');
    const big = join(dir, '1.log');
    await writeFile(big, Array.from({ length: 50 }, () => `t stdout F ${'x'.repeat(99)}`).join('\n') + '\n');
    assert.equal(Buffer.byteLength(await tailCriLog(big)), 2048);
    assert.equal(await tailCriLog(join(dir, 'missing.log')), '');
  });

  it('falls back to the log only for FallbackToLogsOnError, an empty file and a non-zero exit', async () => {
    const log = join(dir, 'c.log');
    await writeFile(log, 't stderr F panic: boom\n');
    const file = (n: string, text = '') => writeFile(join(dir, n), text).then(() => join(dir, n));
    const tm = new TerminationMessages();
    tm.record('a', await file('a'), 'FallbackToLogsOnError');
    tm.record('b', await file('b', 'written'), 'FallbackToLogsOnError');
    tm.record('c', await file('c'), 'File');
    tm.record('d', await file('d'), 'FallbackToLogsOnError');
    await tm.refresh([{ current: exited('a', 2, log), restartCount: 0 }, { current: exited('b', 2, log), restartCount: 0 }, { current: exited('c', 2, log), restartCount: 0 }, { current: exited('d', 0, log), restartCount: 0 }]);
    assert.deepEqual(Object.fromEntries(tm.messages), { a: 'panic: boom\n', b: 'written' });
    await tm.refresh([]); // instances no longer shown are forgotten
    assert.equal(tm.messages.size, 0);
  });
});
