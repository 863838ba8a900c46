/**
 * A small SPDY/3.1 server session: what kubectl's streaming client (moby/spdystream)
 * speaks for port-forward (also tunnelled in websocket binary messages since kubectl
 * 1.31) and, before kubectl 1.30, for exec and attach. The client opens streams
 * (SYN_STREAM with headers such as `streamtype: stdout`), the server answers each with
 * SYN_REPLY, and DATA frames carry bytes with FIN closing one direction.
 *
 * Header blocks are zlib-compressed with the SPDY/3 dictionary over one compression
 * context per direction. Outgoing blocks are written as stored (uncompressed) deflate
 * blocks in a single zlib stream, each followed by the empty block of a sync flush;
 * every inflater accepts that and it needs no compressor state.
 * Flow control is not enforced (spdystream does not send WINDOW_UPDATE either).
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { createInflate, constants as zc, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const WINDOW_UPDATE = 9;
const FLAG_FIN = 1;
const MAX_DATA = 32 * 1024;

export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Writes header blocks as stored deflate blocks of one zlib stream primed with the dictionary. */
class HeaderCompressor {
  private started = false;

  compress(headers: Record<string, string>): Buffer {
    const entries = Object.entries(headers);
    const parts: Buffer[] = [u32(entries.length)];
    for (const [k, v] of entries) {
      const kb = Buffer.from(k.toLowerCase());
      const vb = Buffer.from(v);
      parts.push(u32(kb.length), kb, u32(vb.length), vb);
    }
    const raw = Buffer.concat(parts);
    const out: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32K window), FLG 0x20 (FDICT; 0x7820 is a multiple of 31), DICTID.
      out.push(Buffer.from([0x78, 0x20]), u32(adler32(SPDY3_DICTIONARY)));
      this.started = true;
    }
    for (let i = 0; i < raw.length || i === 0; i += 65535) {
      const chunk = raw.subarray(i, i + 65535);
      const h = Buffer.alloc(5);
      h[0] = 0; // BFINAL 0, BTYPE 00 (stored)
      h.writeUInt16LE(chunk.length, 1);
      h.writeUInt16LE(~chunk.length & 0xffff, 3);
      out.push(h, chunk);
      if (raw.length === 0) break;
    }
    // An empty stored block, as zlib's Z_SYNC_FLUSH writes: inflaters (Go's flate) hand
    // out a stored block's bytes only when they reach the next block boundary.
    out.push(Buffer.from([0, 0, 0, 0xff, 0xff]));
    return Buffer.concat(out);
  }
}

/** Inflates header blocks through one zlib context (SPDY compresses all blocks of a direction as one stream). */
class HeaderDecompressor {
  private readonly inflate: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private chain: Promise<unknown> = Promise.resolve();
  private out: Buffer[] = [];
  private failed?: Error;
  private onFail?: (err: Error) => void;

  constructor() {
    this.inflate.on('data', (d: Buffer) => this.out.push(d));
    this.inflate.on('error', (err) => {
      this.failed = err;
      this.onFail?.(err);
    });
  }

  decompress(block: Buffer): Promise<Record<string, string>> {
    const p = this.chain.then(
      () =>
        new Promise<Record<string, string>>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          this.onFail = reject;
          this.inflate.write(block);
          this.inflate.flush(zc.Z_SYNC_FLUSH, () => {
            const raw = Buffer.concat(this.out);
            this.out = [];
            try {
              resolve(parseHeaderBlock(raw));
            } catch (err) {
              reject(err);
            }
          });
        }),
    );
    this.chain = p.catch(() => {});
    return p;
  }

  close(): void {
    this.inflate.destroy();
  }
}

function parseHeaderBlock(raw: Buffer): Record<string, string> {
  const h: Record<string, string> = {};
  let o = 0;
  const n = raw.readUInt32BE(o);
  o += 4;
  for (let i = 0; i < n; i++) {
    const kl = raw.readUInt32BE(o);
    const k = raw.subarray(o + 4, o + 4 + kl).toString();
    o += 4 + kl;
    const vl = raw.readUInt32BE(o);
    const v = raw.subarray(o + 4, o + 4 + vl).toString();
    o += 4 + vl;
    h[k.toLowerCase()] = v.split('\0')[0];
  }
  return h;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

function dataFrame(id: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** One SPDY stream opened by the client: a duplex over its DATA frames. */
export class SpdyStream extends Duplex {
  private replied = false;
  private closedLocal = false;

  constructor(
    readonly id: number,
    readonly headers: Record<string, string>,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
  }

  /** Accepts the stream (SYN_REPLY); the client waits for this before using it. */
  reply(headers: Record<string, string> = {}): void {
    if (this.replied) return;
    this.replied = true;
    this.session.send(controlFrame(SYN_REPLY, 0, Buffer.concat([u32(this.id), this.session.compressor.compress(headers)])));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.session.closed) return cb();
    for (let i = 0; i < chunk.length; i += MAX_DATA) this.session.send(dataFrame(this.id, 0, chunk.subarray(i, i + MAX_DATA)));
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.closedLocal && !this.session.closed) this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.closedLocal = true;
    cb();
  }

  /** Aborts the stream in both directions (RST_STREAM). */
  reset(status = RST_CANCEL): void {
    if (!this.session.closed) this.session.send(controlFrame(RST_STREAM, 0, Buffer.concat([u32(this.id), u32(status)])));
    this.closedLocal = true;
    this.push(null);
    this.session.forget(this.id);
    this.destroy();
  }

  /** Called by the session when a DATA frame arrives. */
  onData(payload: Buffer, fin: boolean): void {
    if (payload.length) this.push(payload);
    if (fin) this.push(null);
  }
}

/**
 * The server end of a SPDY connection over any byte transport: feed() it what arrives,
 * it calls write() with what to send. Emits 'stream' for every stream the client opens
 * and 'close' when the connection ends (GOAWAY, protocol error or close()).
 */
export class SpdySession extends EventEmitter {
  readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private buf: Buffer = Buffer.alloc(0);
  closed = false;
  /** Frames are handled in order; header inflation is asynchronous. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly write: (b: Buffer) => void) {
    super();
  }

  send(frame: Buffer): void {
    if (!this.closed) this.write(frame);
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  private nextId = 1;

  /**
   * Opens a stream from this end (the client side of a session: odd ids) and resolves
   * once the peer replies (SYN_REPLY), as spdystream's CreateStream waits.
   */
  open(headers: Record<string, string>, timeoutMs = 30_000): Promise<SpdyStream> {
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(id, headers, this);
    this.streams.set(id, s);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply to stream ${JSON.stringify(headers)}`)), timeoutMs);
      const closed = () => {
        clearTimeout(t);
        reject(new Error('connection closed before the stream was accepted'));
      };
      this.once('close', closed);
      s.once('reply', () => {
        clearTimeout(t);
        this.off('close', closed);
        resolve(s);
      });
      const head = Buffer.alloc(10);
      head.writeUInt32BE(id, 0);
      this.send(controlFrame(SYN_STREAM, 0, Buffer.concat([head, this.compressor.compress(headers)])));
    });
  }

  feed(chunk: Buffer): void {
    if (this.closed) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.chain = this.chain.then(() => this.handle(frame)).catch((err) => this.fail(err));
    }
  }

  private async handle(f: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = f[4];
    const payload = f.subarray(8);
    if (!(f[0] & 0x80)) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      this.streams.get(id)?.onData(payload, (flags & FLAG_FIN) !== 0);
      return;
    }
    const type = f.readUInt16BE(2);
    switch (type) {
      case SYN_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decompressor.decompress(payload.subarray(10));
        const s = new SpdyStream(id, headers, this);
        this.streams.set(id, s);
        if (flags & FLAG_FIN) s.onData(Buffer.alloc(0), true);
        this.emit('stream', s);
        return;
      }
      case SYN_REPLY: {
        // Keep the inflate context in step even if nobody waits for this reply.
        await this.decompressor.decompress(payload.subarray(4));
        this.streams.get(payload.readUInt32BE(0) & 0x7fffffff)?.emit('reply');
        return;
      }
      case HEADERS:
        await this.decompressor.decompress(payload.subarray(4));
        return;
      case RST_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        this.streams.delete(id);
        if (s) {
          s.push(null);
          s.destroy();
        }
        return;
      }
      case PING:
        this.send(controlFrame(PING, 0, payload.subarray(0, 4)));
        return;
      case GOAWAY:
        this.close();
        return;
      case SETTINGS:
      case WINDOW_UPDATE:
      default:
        return;
    }
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.emit('error', err);
    this.close();
  }

  /** Ends every stream and the session (GOAWAY once). */
  close(): void {
    if (this.closed) return;
    this.send(controlFrame(GOAWAY, 0, Buffer.concat([u32(0), u32(0)])));
    this.closed = true;
    for (const s of this.streams.values()) {
      s.push(null);
      s.destroy();
    }
    this.streams.clear();
    this.decompressor.close();
    this.emit('close');
  }
}

/** For tests and clients: a SYN_STREAM frame with compressed headers (client side uses its own compressor). */
export function synStreamFrame(compressor: { compress(h: Record<string, string>): Buffer }, id: number, headers: Record<string, string>, fin = false): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt32BE(id & 0x7fffffff, 0);
  return controlFrame(SYN_STREAM, fin ? FLAG_FIN : 0, Buffer.concat([head, compressor.compress(headers)]));
}

export { HeaderCompressor, HeaderDecompressor, dataFrame, controlFrame, FLAG_FIN, SYN_REPLY, SYN_STREAM, RST_STREAM, GOAWAY };
