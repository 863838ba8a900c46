/**
 * The protobuf wire format of the few etcd v3 messages the etcd backend sends and reads
 * (etcd's api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto; field numbers below are
 * theirs). Encoding by hand, rather than through a generic protobuf library, keeps a
 * request to one buffer and a response to plain objects with numbers: revisions are
 * int64 on the wire but stay far below 2^53, so they are read as JavaScript numbers.
 * Fields this backend does not use are skipped when reading, as protobuf requires.
 */

// ---- writing ----

/**
 * A growable buffer with protobuf primitives; fork()/close() length-prefix a nested
 * message. Five bytes are kept free in front for the gRPC message prefix (frame()).
 */
export class ProtoWriter {
  private buf = Buffer.allocUnsafe(512);
  private pos = 5;
  private readonly starts: number[] = [];

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 64));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(v: number): void {
    if (v < 0 || !Number.isSafeInteger(v)) throw new RangeError(`protobuf varint out of range: ${v}`);
    this.ensure(10);
    while (v > 127) {
      this.buf[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** int64/uint64/enum field; zero is the default and not written unless `always` (oneof members). */
  int(field: number, v: number, always = false): this {
    if (v === 0 && !always) return this;
    this.varint(field * 8);
    this.varint(v);
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    return v ? this.int(field, 1) : this;
  }

  /** bytes field from a string (UTF-8) or a Buffer. */
  bytes(field: number, v: string | Buffer): this {
    this.varint(field * 8 + 2);
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v);
      this.varint(n);
      this.ensure(n);
      this.pos += this.buf.write(v, this.pos);
    } else {
      this.varint(v.length);
      this.ensure(v.length);
      this.pos += v.copy(this.buf, this.pos);
    }
    return this;
  }

  /** Starts a nested message in `field`; close() ends it. */
  fork(field: number): this {
    this.varint(field * 8 + 2);
    this.starts.push(this.pos);
    return this;
  }

  close(): this {
    const start = this.starts.pop()!;
    const len = this.pos - start;
    let lenBytes = 1;
    for (let v = len; v > 127; v = Math.floor(v / 128)) lenBytes++;
    this.ensure(lenBytes);
    this.buf.copyWithin(start + lenBytes, start, this.pos);
    let at = start;
    let v = len;
    while (v > 127) {
      this.buf[at++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[at] = v;
    this.pos += lenBytes;
    return this;
  }

  /** The message alone. */
  finish(): Buffer {
    return this.buf.subarray(5, this.pos);
  }

  /** The message as one gRPC frame: uncompressed flag, big-endian length, message. */
  frame(): Buffer {
    this.buf[0] = 0;
    this.buf.writeUInt32BE(this.pos - 5, 1);
    return this.buf.subarray(0, this.pos);
  }
}

export interface RangeRequest {
  key: string | Buffer;
  rangeEnd?: string | Buffer;
  limit?: number;
  revision?: number;
  countOnly?: boolean;
}

export type CompareTarget = 'version' | 'create' | 'mod';
export interface Compare {
  key: string;
  target: CompareTarget;
  result: 'equal' | 'greater' | 'less' | 'not_equal';
  /** Compared with the key's version, create_revision or mod_revision (per target). */
  value: number;
}

export type RequestOp =
  | { range: RangeRequest }
  | { put: { key: string; value: string; prevKv?: boolean } }
  | { deleteRange: { key: string; rangeEnd?: string | Buffer; prevKv?: boolean } };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

const COMPARE_RESULT = { equal: 0, greater: 1, less: 2, not_equal: 3 } as const;
const COMPARE_TARGET = { version: 0, create: 1, mod: 2 } as const;
const TARGET_FIELD = { version: 4, create: 5, mod: 6 } as const;

function writeRange(w: ProtoWriter, r: RangeRequest): void {
  w.bytes(1, r.key);
  if (r.rangeEnd !== undefined) w.bytes(2, r.rangeEnd);
  w.int(3, r.limit ?? 0).int(4, r.revision ?? 0).bool(9, r.countOnly);
}

function writeOp(w: ProtoWriter, field: number, op: RequestOp): void {
  w.fork(field);
  if ('range' in op) {
    w.fork(1);
    writeRange(w, op.range);
  } else if ('put' in op) {
    w.fork(2).bytes(1, op.put.key).bytes(2, op.put.value).bool(4, op.put.prevKv);
  } else {
    w.fork(3).bytes(1, op.deleteRange.key);
    if (op.deleteRange.rangeEnd !== undefined) w.bytes(2, op.deleteRange.rangeEnd);
    w.bool(3, op.deleteRange.prevKv);
  }
  w.close().close();
}

export function encodeRange(r: RangeRequest): ProtoWriter {
  const w = new ProtoWriter();
  writeRange(w, r);
  return w;
}

export function encodeTxn(t: TxnRequest): ProtoWriter {
  const w = new ProtoWriter();
  for (const c of t.compare) {
    w.fork(1).int(1, COMPARE_RESULT[c.result]).int(2, COMPARE_TARGET[c.target]).bytes(3, c.key).int(TARGET_FIELD[c.target], c.value, true).close();
  }
  for (const op of t.success) writeOp(w, 2, op);
  for (const op of t.failure) writeOp(w, 3, op);
  return w;
}

export function encodeCompaction(revision: number, physical: boolean): ProtoWriter {
  return new ProtoWriter().int(1, revision).bool(2, physical);
}

export interface WatchCreateRequest {
  key: string;
  rangeEnd: Buffer;
  startRevision: number;
  progressNotify: boolean;
  prevKv: boolean;
}

export function encodeWatchCreate(c: WatchCreateRequest): ProtoWriter {
  return new ProtoWriter().fork(1).bytes(1, c.key).bytes(2, c.rangeEnd).int(3, c.startRevision).bool(4, c.progressNotify).bool(6, c.prevKv).close();
}

// ---- reading ----

/** Walks the fields of one message: next() gives the field number, then read one value. */
class ProtoReader {
  pos: number;
  wire = 0;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** The next field's number, or 0 at the end of the message. */
  next(): number {
    if (this.pos >= this.end) return 0;
    const tag = this.uvarint();
    this.wire = tag & 7;
    return Math.floor(tag / 8);
  }

  private uvarint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated protobuf varint');
      const b = this.buf[this.pos++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  }

  /** An int64 (two's complement on the wire: negative values come back negative). */
  int(): number {
    const v = this.uvarint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v;
  }

  bool(): boolean {
    return this.uvarint() !== 0;
  }

  /** A length-delimited field: its [start, end) in the buffer. */
  span(): [number, number] {
    const len = this.uvarint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new RangeError('truncated protobuf field');
    return [start, this.pos];
  }

  string(): string {
    const [s, e] = this.span();
    return this.buf.toString('utf8', s, e);
  }

  sub(): ProtoReader {
    const [s, e] = this.span();
    return new ProtoReader(this.buf, s, e);
  }

  skip(): void {
    switch (this.wire) {
      case 0:
        this.uvarint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new RangeError(`unsupported protobuf wire type ${this.wire}`);
    }
  }
}

export interface Kv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface RangeResponse {
  revision: number;
  kvs: Kv[];
  more: boolean;
  count: number;
}

export interface ResponseOp {
  range?: RangeResponse;
  put?: { prevKv?: Kv };
  deleteRange?: { deleted: number; prevKvs: Kv[] };
}

export interface TxnResponse {
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface WatchEvent {
  type: 'put' | 'delete';
  kv: Kv;
  prevKv?: Kv;
}

export interface WatchResponse {
  revision: number;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  events: WatchEvent[];
}

/** ResponseHeader: only the revision (field 3) matters here. */
function readHeader(r: ProtoReader): number {
  let rev = 0;
  for (let f; (f = r.next()); ) {
    if (f === 3) rev = r.int();
    else r.skip();
  }
  return rev;
}

function readKv(r: ProtoReader): Kv {
  const kv: Kv = { key: '', value: '', createRevision: 0, modRevision: 0 };
  for (let f; (f = r.next()); ) {
    if (f === 1) kv.key = r.string();
    else if (f === 2) kv.createRevision = r.int();
    else if (f === 3) kv.modRevision = r.int();
    else if (f === 5) kv.value = r.string();
    else r.skip();
  }
  return kv;
}

function readRange(r: ProtoReader): RangeResponse {
  const out: RangeResponse = { revision: 0, kvs: [], more: false, count: 0 };
  for (let f; (f = r.next()); ) {
    if (f === 1) out.revision = readHeader(r.sub());
    else if (f === 2) out.kvs.push(readKv(r.sub()));
    else if (f === 3) out.more = r.bool();
    else if (f === 4) out.count = r.int();
    else r.skip();
  }
  return out;
}

function readOp(r: ProtoReader): ResponseOp {
  const op: ResponseOp = {};
  for (let f; (f = r.next()); ) {
    if (f === 1) op.range = readRange(r.sub());
    else if (f === 2) {
      const p = r.sub();
      op.put = {};
      for (let g; (g = p.next()); ) {
        if (g === 2) op.put.prevKv = readKv(p.sub());
        else p.skip();
      }
    } else if (f === 3) {
      const d = r.sub();
      op.deleteRange = { deleted: 0, prevKvs: [] };
      for (let g; (g = d.next()); ) {
        if (g === 2) op.deleteRange.deleted = d.int();
        else if (g === 3) op.deleteRange.prevKvs.push(readKv(d.sub()));
        else d.skip();
      }
    } else r.skip();
  }
  return op;
}

export function decodeRange(buf: Buffer): RangeResponse {
  return readRange(new ProtoReader(buf));
}

export function decodeTxn(buf: Buffer): TxnResponse {
  const r = new ProtoReader(buf);
  const out: TxnResponse = { revision: 0, succeeded: false, responses: [] };
  for (let f; (f = r.next()); ) {
    if (f === 1) out.revision = readHeader(r.sub());
    else if (f === 2) out.succeeded = r.bool();
    else if (f === 3) out.responses.push(readOp(r.sub()));
    else r.skip();
  }
  return out;
}

export function decodeWatch(buf: Buffer): WatchResponse {
  const r = new ProtoReader(buf);
  const out: WatchResponse = { revision: 0, watchId: 0, created: false, canceled: false, compactRevision: 0, cancelReason: '', events: [] };
  for (let f; (f = r.next()); ) {
    if (f === 1) out.revision = readHeader(r.sub());
    else if (f === 2) out.watchId = r.int();
    else if (f === 3) out.created = r.bool();
    else if (f === 4) out.canceled = r.bool();
    else if (f === 5) out.compactRevision = r.int();
    else if (f === 6) out.cancelReason = r.string();
    else if (f === 11) {
      const e = r.sub();
      const ev: WatchEvent = { type: 'put', kv: { key: '', value: '', createRevision: 0, modRevision: 0 } };
      for (let g; (g = e.next()); ) {
        if (g === 1) ev.type = e.int() === 1 ? 'delete' : 'put';
        else if (g === 2) ev.kv = readKv(e.sub());
        else if (g === 3) ev.prevKv = readKv(e.sub());
        else e.skip();
      }
      out.events.push(ev);
    } else r.skip();
  }
  return out;
}
