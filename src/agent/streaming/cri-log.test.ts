import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriLogWriter, parseCriLine, readCriLog, type LogReadOptions } from './cri-log.js';

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cri-log-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const SAMPLE = [
  '2016-10-06T00:17:09.669794202Z stdout F first',
  '2016-10-06T00:17:10.000000000Z stderr F second',
  '2016-10-06T00:17:11.000000000Z stdout P par',
  '2016-10-06T00:17:11.500000000Z stdout F tial',
  '2016-10-06T00:17:12.000000000Z stdout F last',
  '',
].join('\n');

async function read(path: string, opts: LogReadOptions & { isRunning?: () => boolean } = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await readCriLog({ ...opts, path, signal: new AbortController().signal, sink: { write: (b) => (chunks.push(b), true) }, pollMs: 20 });
  return Buffer.concat(chunks).toString();
}

test('parseCriLine splits time, stream, tag and content (content may hold spaces)', () => {
  const e = parseCriLine(Buffer.from('2016-10-06T00:17:09.669794202Z stderr P a b  c'))!;
  assert.equal(e.timeText, '2016-10-06T00:17:09.669794202Z');
  assert.equal(e.stream, 'stderr');
  assert.equal(e.partial, true);
  assert.equal(e.content.toString(), 'a b  c');
  assert.equal(parseCriLine(Buffer.from('2016-10-06T00:17:09Z stdout F '))?.content.length, 0);
  assert.equal(parseCriLine(Buffer.from('garbage')), undefined);
  assert.equal(parseCriLine(Buffer.from('notatime stdout F x')), undefined);
});

test('reads every entry, joining partial lines', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    writeFileSync(p, SAMPLE);
    assert.equal(await read(p), 'first\nsecond\npartial\nlast\n');
  } finally {
    t.done();
  }
});

test('timestamps prefix each output line once (a partial entry continues its line)', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    writeFileSync(p, SAMPLE);
    assert.equal(
      await read(p, { timestamps: true }),
      '2016-10-06T00:17:09.669794202Z first\n2016-10-06T00:17:10.000000000Z second\n2016-10-06T00:17:11.000000000Z partial\n2016-10-06T00:17:12.000000000Z last\n',
    );
  } finally {
    t.done();
  }
});

test('tailLines counts entries from the end; 0 gives nothing; more than there are gives all', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    writeFileSync(p, SAMPLE);
    assert.equal(await read(p, { tailLines: 1 }), 'last\n');
    assert.equal(await read(p, { tailLines: 2 }), 'tial\nlast\n');
    assert.equal(await read(p, { tailLines: 0 }), '');
    assert.equal(await read(p, { tailLines: 100 }), 'first\nsecond\npartial\nlast\n');
  } finally {
    t.done();
  }
});

test('tail over a file bigger than one read chunk', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    const w = new CriLogWriter(p);
    for (let i = 0; i < 5000; i++) w.write('stdout', `line ${i} ${'x'.repeat(30)}\n`);
    const out = await read(p, { tailLines: 3 });
    assert.deepEqual(out.split('\n').filter(Boolean).map((l) => l.split(' ')[1]), ['4997', '4998', '4999']);
  } finally {
    t.done();
  }
});

test('sinceTime drops earlier entries; limitBytes cuts the output', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    writeFileSync(p, SAMPLE);
    assert.equal(await read(p, { sinceTime: new Date('2016-10-06T00:17:11Z') }), 'partial\nlast\n');
    assert.equal(await read(p, { limitBytes: 8 }), 'first\nse');
  } finally {
    t.done();
  }
});

test('a missing file reads as empty', async () => {
  const t = tmp();
  try {
    assert.equal(await read(join(t.dir, 'none.log')), '');
  } finally {
    t.done();
  }
});

test('CriLogWriter writes one entry per line and a partial entry for an unterminated chunk', () => {
  const t = tmp();
  try {
    const p = join(t.dir, 'c', '0.log');
    const w = new CriLogWriter(p);
    w.write('stdout', 'a\nb\nc');
    w.write('stderr', 'err\n');
    const lines = readFileSync(p, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F a$/);
    assert.match(lines[2], / stdout P c$/);
    assert.match(lines[3], / stderr F err$/);
  } finally {
    t.done();
  }
});

test('follow returns new lines as they are appended and ends once the container has exited', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    const w = new CriLogWriter(p);
    w.write('stdout', 'one\n');
    let running = true;
    const got: string[] = [];
    let notify: (() => void) | undefined;
    const done = readCriLog({
      path: p,
      follow: true,
      signal: new AbortController().signal,
      pollMs: 20,
      isRunning: () => running,
      sink: {
        write: (b) => {
          got.push(b.toString());
          notify?.();
          return true;
        },
      },
    });
    const waitFor = async (s: string) => {
      while (!got.join('').includes(s)) await new Promise<void>((r) => (notify = r));
    };
    await waitFor('one\n');
    w.write('stdout', 'two\n');
    await waitFor('two\n');
    // The last line lands just before the exit is seen: it must still be read.
    appendFileSync(p, '2016-10-06T00:17:12.000000000Z stdout F three\n');
    running = false;
    await done;
    assert.equal(got.join(''), 'one\ntwo\nthree\n');
  } finally {
    t.done();
  }
});

test('follow on a file that does not exist yet waits for it', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, 'later.log');
    let running = true;
    const got: Buffer[] = [];
    const done = readCriLog({ path: p, follow: true, signal: new AbortController().signal, pollMs: 20, isRunning: () => running, sink: { write: (b) => (got.push(b), true) } });
    await new Promise((r) => setTimeout(r, 50));
    new CriLogWriter(p).write('stdout', 'hello\n');
    running = false;
    await done;
    assert.equal(Buffer.concat(got).toString(), 'hello\n');
  } finally {
    t.done();
  }
});

test('follow stops when aborted', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    writeFileSync(p, SAMPLE);
    const ac = new AbortController();
    const done = readCriLog({ path: p, follow: true, signal: ac.signal, isRunning: () => true, sink: { write: () => true } });
    ac.abort();
    await done;
  } finally {
    t.done();
  }
});

test('the writer rotates past its size limit and a follower moves on to the new file', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    const w = new CriLogWriter(p, 200);
    w.write('stdout', 'before rotation\n');
    let running = true;
    const got: string[] = [];
    let notify: (() => void) | undefined;
    const done = readCriLog({
      path: p,
      follow: true,
      signal: new AbortController().signal,
      pollMs: 20,
      isRunning: () => running,
      sink: {
        write: (b) => {
          got.push(b.toString());
          notify?.();
          return true;
        },
      },
    });
    const waitFor = async (s: string) => {
      while (!got.join('').includes(s)) await new Promise<void>((r) => (notify = r));
    };
    await waitFor('before rotation\n');
    // Two ~60-byte entries fit; the third goes to a fresh file.
    w.write('stdout', 'x'.repeat(20) + '\n');
    w.write('stdout', 'y'.repeat(20) + '\n');
    w.write('stdout', 'after rotation\n');
    assert.ok(existsSync(`${p}.1`), 'rotated file kept');
    await waitFor('after rotation\n');
    running = false;
    await done;
    assert.equal(got.join(''), `before rotation\n${'x'.repeat(20)}\n${'y'.repeat(20)}\nafter rotation\n`);
    // A new reader sees only the current file, as kubectl logs does after a rotation.
    assert.equal(await read(p), 'after rotation\n');
  } finally {
    t.done();
  }
});

test('timestamps are printed with nine fractional digits whatever the file holds', async () => {
  const t = tmp();
  try {
    const p = join(t.dir, '0.log');
    writeFileSync(p, '2016-10-06T00:17:09.6697942Z stdout F trimmed\n2016-10-06T00:17:10Z stdout F none\n');
    assert.equal(await read(p, { timestamps: true }), '2016-10-06T00:17:09.669794200Z trimmed\n2016-10-06T00:17:10.000000000Z none\n');
  } finally {
    t.done();
  }
});
