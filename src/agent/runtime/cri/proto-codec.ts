/**
 * A small proto3 codec for skiff's hand-written CRI and containerd-events .proto files:
 * parses the subset they use (top-level messages and enums, scalar, enum, message,
 * repeated and map<string, string> fields, services with unary or server-streaming
 * rpcs) and encodes/decodes plain objects in the shape @grpc/proto-loader gives with
 * { keepCase: false, longs: String, enums: String, defaults: true }: camelCase names,
 * int64 as decimal strings, enums by name, absent fields at their defaults (messages
 * null). A generic protobuf library holds several MB of reflection objects in an agent
 * whose memory budget is tight; this keeps a field table per message.
 */

type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'double';
const SCALARS = new Set<string>(['string', 'bytes', 'bool', 'int32', 'uint32', 'int64', 'uint64', 'double']);

export interface Field {
  name: string;
  no: number;
  /** A scalar type, or the name of an enum or message of the file. */
  type: string;
  repeated: boolean;
  map: boolean;
}

export interface Rpc {
  name: string;
  request: string;
  response: string;
  responseStream: boolean;
}

export interface ProtoFile {
  pkg: string;
  messages: Map<string, Field[]>;
  /** Enum values by number, and numbers by name. */
  enums: Map<string, { names: Map<number, string>; numbers: Map<string, number> }>;
  services: Map<string, Rpc[]>;
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Parses the proto3 subset skiff's .proto files are written in. */
export function parseProto(text: string): ProtoFile {
  const src = text.replace(/\/\/.*$/gm, '');
  const file: ProtoFile = { pkg: /package\s+([\w.]+)\s*;/.exec(src)?.[1] ?? '', messages: new Map(), enums: new Map(), services: new Map() };
  for (const m of src.matchAll(/\b(message|enum|service)\s+(\w+)\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
    const [, kind, name, body] = m;
    if (kind === 'enum') {
      const names = new Map<number, string>();
      const numbers = new Map<string, number>();
      for (const [, n, v] of body.matchAll(/(\w+)\s*=\s*(-?\d+)\s*;/g)) {
        names.set(Number(v), n);
        numbers.set(n, Number(v));
      }
      file.enums.set(name, { names, numbers });
    } else if (kind === 'message') {
      const fields: Field[] = [];
      for (const [, rep, type, fname, no] of body.matchAll(/(repeated\s+)?(map\s*<\s*string\s*,\s*string\s*>|\w+)\s+(\w+)\s*=\s*(\d+)\s*;/g)) {
        const map = type.startsWith('map');
        fields.push({ name: camel(fname), no: Number(no), type: map ? 'string' : type, repeated: !!rep, map });
      }
      file.messages.set(name, fields);
    } else {
      const rpcs: Rpc[] = [];
      for (const [, rname, req, stream, res] of body.matchAll(/rpc\s+(\w+)\s*\(\s*(\w+)\s*\)\s*returns\s*\(\s*(stream\s+)?(\w+)\s*\)/g))
        rpcs.push({ name: rname, request: req, response: res, responseStream: !!stream });
      file.services.set(name, rpcs);
    }
  }
  for (const [msg, fields] of file.messages)
    for (const f of fields)
      if (!SCALARS.has(f.type) && !file.messages.has(f.type) && !file.enums.has(f.type)) throw new Error(`proto: ${msg}.${f.name} has unknown type ${f.type}`);
  return file;
}

// ---- encoding ----

class Writer {
  private chunks: number[] = [];
  private out: Buffer[] = [];

  private flush(): void {
    if (this.chunks.length) this.out.push(Buffer.from(this.chunks));
    this.chunks = [];
  }
  varint(v: bigint | number): void {
    if (typeof v === 'number' && v >= 0 && v < 2 ** 31) {
      while (v > 127) {
        this.chunks.push((v & 127) | 128);
        v >>>= 7;
      }
      this.chunks.push(v);
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x > 127n) {
      this.chunks.push(Number(x & 127n) | 128);
      x >>= 7n;
    }
    this.chunks.push(Number(x));
  }
  tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }
  bytes(b: Buffer): void {
    this.varint(b.length);
    this.flush();
    this.out.push(b);
  }
  double(v: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(v);
    this.flush();
    this.out.push(b);
  }
  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.out);
  }
}

function isDefault(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === '0' || v === false;
}

function enumNumber(file: ProtoFile, type: string, v: unknown): number {
  if (typeof v === 'number') return v;
  const n = file.enums.get(type)!.numbers.get(String(v));
  if (n === undefined) throw new Error(`proto: ${String(v)} is not a ${type}`);
  return n;
}

function writeScalar(w: Writer, file: ProtoFile, type: string, v: unknown): void {
  switch (type) {
    case 'string':
      return w.bytes(Buffer.from(String(v)));
    case 'bytes':
      return w.bytes(Buffer.isBuffer(v) ? v : Buffer.from(v as string));
    case 'bool':
      return w.varint(v ? 1 : 0);
    case 'double':
      return w.double(Number(v));
    default:
      return w.varint(file.enums.has(type) ? enumNumber(file, type, v) : BigInt(v as string | number));
  }
}

const wireOf = (type: string) => (type === 'string' || type === 'bytes' ? 2 : type === 'double' ? 1 : 0);

export function encode(file: ProtoFile, type: string, obj: any): Buffer {
  const w = new Writer();
  for (const f of file.messages.get(type)!) {
    const v = obj?.[f.name];
    if (v === undefined || v === null) continue;
    const msg = file.messages.has(f.type);
    if (f.map) {
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (val === undefined || val === null) continue;
        const entry = new Writer();
        entry.tag(1, 2);
        entry.bytes(Buffer.from(k));
        entry.tag(2, 2);
        entry.bytes(Buffer.from(String(val)));
        w.tag(f.no, 2);
        w.bytes(entry.finish());
      }
    } else if (f.repeated) {
      const items = v as unknown[];
      if (!items.length) continue;
      if (msg || wireOf(f.type) === 2) {
        for (const item of items) {
          w.tag(f.no, 2);
          if (msg) w.bytes(encode(file, f.type, item));
          else writeScalar(w, file, f.type, item);
        }
      } else {
        // proto3 packs repeated numbers.
        const packed = new Writer();
        for (const item of items) writeScalar(packed, file, f.type, item);
        w.tag(f.no, 2);
        w.bytes(packed.finish());
      }
    } else if (msg) {
      w.tag(f.no, 2);
      w.bytes(encode(file, f.type, v));
    } else {
      if (isDefault(v) || (file.enums.has(f.type) && enumNumber(file, f.type, v) === 0)) continue;
      w.tag(f.no, wireOf(f.type));
      writeScalar(w, file, f.type, v);
    }
  }
  return w.finish();
}

// ---- decoding ----

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  varint(): bigint {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('proto: truncated varint');
      const b = this.buf[this.pos++];
      x |= BigInt(b & 127) << shift;
      if (b < 128) return x;
      shift += 7n;
    }
  }
  /** A tag or a length: small enough for a number. */
  small(): number {
    let x = 0;
    for (let mul = 1; ; mul *= 128) {
      if (this.pos >= this.end || mul > 2 ** 35) throw new Error('proto: bad length or tag');
      const b = this.buf[this.pos++];
      x += (b & 127) * mul;
      if (b < 128) return x;
    }
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const len = this.small();
      this.pos += len;
    }
    else if (wire === 5) this.pos += 4;
    else throw new Error(`proto: unsupported wire type ${wire}`);
  }
}

function defaultOf(file: ProtoFile, f: Field): unknown {
  if (f.map) return {};
  if (f.repeated) return [];
  if (file.messages.has(f.type)) return null;
  if (file.enums.has(f.type)) return file.enums.get(f.type)!.names.get(0) ?? 0;
  switch (f.type as Scalar) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'bool':
      return false;
    case 'int64':
    case 'uint64':
      return '0';
    default:
      return 0;
  }
}

function readScalar(r: Reader, file: ProtoFile, type: string): unknown {
  switch (type) {
    case 'string': {
      const n = r.small();
      const s = r.buf.toString('utf8', r.pos, r.pos + n);
      r.pos += n;
      return s;
    }
    case 'bytes': {
      const n = r.small();
      const b = Buffer.from(r.buf.subarray(r.pos, r.pos + n));
      r.pos += n;
      return b;
    }
    case 'bool':
      return r.varint() !== 0n;
    case 'double': {
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 'int64':
      return String(BigInt.asIntN(64, r.varint()));
    case 'uint64':
      return String(r.varint());
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'uint32':
      return Number(BigInt.asUintN(32, r.varint()));
    default: {
      const n = Number(BigInt.asIntN(32, r.varint()));
      return file.enums.get(type)!.names.get(n) ?? n;
    }
  }
}

function readMessage(file: ProtoFile, type: string, r: Reader): any {
  const fields = file.messages.get(type)!;
  const out: any = {};
  for (const f of fields) out[f.name] = defaultOf(file, f);
  while (r.pos < r.end) {
    const key = r.small();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    const f = fields.find((x) => x.no === no);
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (f.map) {
      const len = r.small();
      const end = r.pos + len;
      const entry = new Reader(r.buf, r.pos, end);
      let k = '';
      let v = '';
      while (entry.pos < end) {
        const ek = entry.small();
        if (ek === 10) k = readScalar(entry, file, 'string') as string;
        else if (ek === 18) v = readScalar(entry, file, 'string') as string;
        else entry.skip(ek & 7);
      }
      out[f.name][k] = v;
      r.pos = end;
    } else if (file.messages.has(f.type)) {
      const len = r.small();
      const end = r.pos + len;
      const v = readMessage(file, f.type, new Reader(r.buf, r.pos, end));
      r.pos = end;
      if (f.repeated) out[f.name].push(v);
      else out[f.name] = v;
    } else if (f.repeated && wire === 2 && wireOf(f.type) !== 2) {
      const len = r.small();
      const end = r.pos + len;
      while (r.pos < end) out[f.name].push(readScalar(r, file, f.type));
    } else {
      const v = readScalar(r, file, f.type);
      if (f.repeated) out[f.name].push(v);
      else out[f.name] = v;
    }
  }
  if (r.pos !== r.end) throw new Error(`proto: ${type} overruns its length`);
  return out;
}

export function decode(file: ProtoFile, type: string, buf: Buffer): any {
  return readMessage(file, type, new Reader(buf, 0, buf.length));
}
