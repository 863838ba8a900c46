import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { inflateSync, constants as zc } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { dataFrame, FLAG_FIN, HeaderCompressor, HeaderDecompressor, SpdySession, synStreamFrame, SYN_REPLY } from './spdy.js';
import { servePortForward } from './port-forward.js';

interface Frame {
  control: boolean;
  type?: number;
  id: number;
  flags: number;
  payload: Buffer;
}

function parseFrames(b: Buffer): Frame[] {
  const out: Frame[] = [];
  let o = 0;
  while (o + 8 <= b.length) {
    const len = b.readUInt32BE(o + 4) & 0xffffff;
    const f = b.subarray(o, o + 8 + len);
    const control = (f[0] & 0x80) !== 0;
    const payload = f.subarray(8);
    out.push({ control, type: control ? f.readUInt16BE(2) : undefined, id: control ? (payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0) : f.readUInt32BE(0) & 0x7fffffff, flags: f[4], payload });
    o += 8 + len;
  }
  return out;
}

test('the SPDY/3 dictionary is the 1423-byte one of the spec', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('enq=0.'));
});

test('header blocks round-trip through one compression context, and plain zlib inflates them', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const a = c.compress({ streamType: 'error', port: '8080' });
  const b = c.compress({ streamtype: 'data' });
  assert.deepEqual(await d.decompress(a), { streamtype: 'error', port: '8080' });
  assert.deepEqual(await d.decompress(b), { streamtype: 'data' });
  // Every block ends at a sync-flush boundary, so an inflater hands out all of it.
  const raw = inflateSync(Buffer.concat([a, b]), { dictionary: SPDY3_DICTIONARY, finishFlush: zc.Z_SYNC_FLUSH });
  assert.equal(raw.readUInt32BE(0), 2);
  d.close();
});

test('port-forward over a SPDY session: replies to both streams, moves bytes, closes data then error', async () => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as { port: number }).port;
  const sent: Buffer[] = [];
  const session = new SpdySession((b) => sent.push(b));
  servePortForward(session, { dial: (p) => import('node:net').then((n) => n.connect(p, '127.0.0.1')), describe: 'pod p, uid u' });
  const client = new HeaderCompressor();
  session.feed(synStreamFrame(client, 1, { streamType: 'error', port: String(port), requestID: '0' }));
  // Split a frame across feeds: the session must reassemble it.
  const syn = synStreamFrame(client, 3, { streamType: 'data', port: String(port), requestID: '0' });
  session.feed(syn.subarray(0, 5));
  session.feed(syn.subarray(5));
  session.feed(dataFrame(3, 0, Buffer.from('ping over spdy')));
  session.feed(dataFrame(3, FLAG_FIN, Buffer.alloc(0)));
  try {
    for (let i = 0; i < 300; i++) {
      const frames = parseFrames(Buffer.concat(sent));
      if (frames.some((f) => !f.control && f.id === 1 && f.flags & FLAG_FIN)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const frames = parseFrames(Buffer.concat(sent));
    assert.deepEqual(frames.filter((f) => f.control && f.type === SYN_REPLY).map((f) => f.id), [1, 3]);
    const data = Buffer.concat(frames.filter((f) => !f.control && f.id === 3).map((f) => f.payload)).toString();
    assert.equal(data, 'ping over spdy');
    assert.ok(frames.some((f) => !f.control && f.id === 3 && f.flags & FLAG_FIN), 'data stream closed');
    const err = frames.filter((f) => !f.control && f.id === 1);
    assert.equal(Buffer.concat(err.map((f) => f.payload)).length, 0, 'no error reported');
    assert.ok(err.some((f) => f.flags & FLAG_FIN), 'error stream closed');
  } finally {
    session.close();
    echo.close();
  }
});

test('port-forward to a closed port reports the failure on the error stream', async () => {
  const sent: Buffer[] = [];
  const session = new SpdySession((b) => sent.push(b));
  servePortForward(session, { dial: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')), describe: 'pod p, uid u' });
  const client = new HeaderCompressor();
  session.feed(synStreamFrame(client, 1, { streamtype: 'error', port: '9', requestid: '1' }));
  session.feed(synStreamFrame(client, 3, { streamtype: 'data', port: '9', requestid: '1' }));
  for (let i = 0; i < 300 && !parseFrames(Buffer.concat(sent)).some((f) => !f.control && f.id === 1 && f.flags & FLAG_FIN); i++) await new Promise((r) => setTimeout(r, 10));
  const text = Buffer.concat(parseFrames(Buffer.concat(sent)).filter((f) => !f.control && f.id === 1).map((f) => f.payload)).toString();
  assert.equal(text, 'error forwarding port 9 to pod p, uid u: connect ECONNREFUSED 127.0.0.1:9');
  session.close();
});
