/**
 * Decodes Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf) into the
 * object's JSON form: a `k8s\0` magic prefix, then a runtime.Unknown envelope (type meta
 * and the raw object), the object in proto2 wire format described by descriptors.ts.
 * kubectl 1.31+ sends this for typed creates (`kubectl create deployment`, `kubectl
 * drain`'s evictions, ...); answers are JSON, which those clients also accept.
 */
import { MESSAGES } from '../../api/descriptors.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated length-delimited field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const rfc3339 = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** Decodes a scalar read with wire type `wire` as `type`. */
function scalar(r: Reader, wire: number, type: string): unknown {
  if (wire === 0) {
    const v = r.varint();
    if (type === 'bool') return v !== 0n;
    // int32/int64 are two's complement in 64 bits.
    const signed = BigInt.asIntN(64, v);
    return Number(signed);
  }
  if (wire === 1) {
    const v = r.buf.readDoubleLE(r.pos);
    r.pos += 8;
    return v;
  }
  if (wire === 5) {
    const v = r.buf.readFloatLE(r.pos);
    r.pos += 4;
    return v;
  }
  const b = r.bytes();
  return type === 'bytes' ? b.toString('base64') : b.toString('utf8');
}

function special(type: string, b: Buffer): unknown {
  const f = fields(b);
  switch (type) {
    case 'time': {
      // Go's zero time encodes as an empty message and means null in JSON.
      const secs = (f.get(1)?.[0] as bigint) ?? 0n;
      return secs === 0n && !f.get(2) ? null : rfc3339(secs);
    }
    case 'microtime': {
      const s = Number((f.get(1)?.[0] as bigint) ?? 0n);
      const nanos = Number((f.get(2)?.[0] as bigint) ?? 0n);
      return new Date(s * 1000).toISOString().replace(/\.\d+Z$/, `.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`);
    }
    case 'quantity':
      return ((f.get(1)?.[0] as Buffer) ?? Buffer.alloc(0)).toString('utf8');
    case 'intorstring': {
      const kind = Number((f.get(1)?.[0] as bigint) ?? 0n);
      return kind === 1 ? ((f.get(3)?.[0] as Buffer) ?? Buffer.alloc(0)).toString('utf8') : Number(BigInt.asIntN(32, (f.get(2)?.[0] as bigint) ?? 0n));
    }
    case 'raw':
    case 'rawjson': {
      const raw = f.get(1)?.[0] as Buffer | undefined;
      if (!raw || !raw.length) return {};
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch {
        return raw.toString('base64');
      }
    }
    case 'duration': {
      const ns = Number((f.get(1)?.[0] as bigint) ?? 0n);
      return `${ns / 1e9}s`;
    }
  }
  return undefined;
}

/** Raw fields of a message: number → values (bigint for varints, Buffer for length-delimited). */
function fields(b: Buffer): Map<number, (bigint | Buffer)[]> {
  const r = new Reader(b);
  const out = new Map<number, (bigint | Buffer)[]>();
  while (!r.done) {
    const tag = Number(r.varint());
    const num = tag >>> 3;
    const wire = tag & 7;
    let v: bigint | Buffer;
    if (wire === 0) v = r.varint();
    else if (wire === 2) v = r.bytes();
    else {
      r.skip(wire);
      continue;
    }
    const list = out.get(num) ?? [];
    list.push(v);
    out.set(num, list);
  }
  return out;
}

/**
 * Pointer fields of the API whose zero value is meaningful (replicas: 0, runAsUser: 0,
 * suspend: false...). gogo also encodes non-pointer scalars at their zero value, which
 * JSON omits, so every other zero scalar is treated as unset.
 */
const KEEP_ZERO = new Set([
  'replicas', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'automountServiceAccountToken', 'readOnlyRootFilesystem', 'runAsNonRoot',
  'runAsUser', 'runAsGroup', 'fsGroup', 'allowPrivilegeEscalation', 'privileged', 'immutable', 'optional', 'suspend', 'parallelism', 'completions',
  'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'partition',
  'defaultMode', 'mode', 'priority', 'enableServiceLinks', 'shareProcessNamespace', 'hostUsers', 'setHostnameAsFQDN', 'startingDeadlineSeconds',
  'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'gracePeriodSeconds', 'orphanDependents', 'value', 'expirationSeconds', 'manualSelector',
  'start', 'publishNotReadyAddresses', 'allocateLoadBalancerNodePorts', 'deletionGracePeriodSeconds',
  'minReplicas', 'stabilizationWindowSeconds', 'averageUtilization', 'targetCPUUtilizationPercentage',
]);

const SCALARS = new Set(['string', 'int32', 'int64', 'bool', 'bytes', 'double', 'float', 'uint32', 'uint64']);
const SPECIAL = new Set(['time', 'microtime', 'quantity', 'intorstring', 'raw', 'rawjson', 'duration']);

function value(r: Reader, wire: number, type: string): unknown {
  if (SCALARS.has(type)) return scalar(r, wire, type);
  const b = r.bytes();
  if (SPECIAL.has(type)) return special(type, b);
  return decodeMessage(b, type);
}

export function decodeMessage(buf: Buffer, type: string): Record<string, unknown> {
  const desc = MESSAGES[type];
  if (!desc) throw new Error(`no protobuf description for ${type}`);
  const obj: Record<string, any> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const num = tag >>> 3;
    const wire = tag & 7;
    const fd = desc[num];
    if (!fd || (!SCALARS.has(fd[1]) && !SPECIAL.has(fd[1]) && !fd[1].startsWith('map:') && !MESSAGES[fd[1]])) {
      r.skip(wire);
      continue;
    }
    const [name, ftype, flags = 0] = fd;
    if (ftype.startsWith('map:')) {
      const vt = ftype.slice(4);
      const entry = new Reader(r.bytes());
      let key = '';
      let val: unknown = vt === 'string' || vt === 'bytes' ? '' : undefined;
      while (!entry.done) {
        const t = Number(entry.varint());
        if (t >>> 3 === 1) key = entry.bytes().toString('utf8');
        else if (t >>> 3 === 2) val = value(entry, t & 7, vt);
        else entry.skip(t & 7);
      }
      (obj[name] ??= {})[key] = val ?? (SCALARS.has(vt) || SPECIAL.has(vt) ? null : {});
      continue;
    }
    if (flags & 1) {
      const list = (obj[name] ??= []) as unknown[];
      if (wire === 2 && SCALARS.has(ftype) && ftype !== 'string' && ftype !== 'bytes') {
        // packed repeated scalars
        const p = new Reader(r.bytes());
        while (!p.done) list.push(scalar(p, ftype === 'double' ? 1 : ftype === 'float' ? 5 : 0, ftype));
      } else list.push(value(r, wire, ftype));
      continue;
    }
    const v = value(r, wire, ftype);
    // gogo encodes non-pointer strings even when empty; JSON (omitempty) leaves them out.
    if (v === '' && ftype === 'string') continue;
    if ((v === 0 || v === false) && !KEEP_ZERO.has(name)) continue;
    if (flags & 2 && v && typeof v === 'object') Object.assign(obj, v);
    else obj[name] = v;
  }
  return obj;
}

const GROUP_PACKAGE: Record<string, string> = {
  v1: 'core.v1',
  'apps/v1': 'apps.v1',
  'batch/v1': 'batch.v1',
  'policy/v1': 'policy.v1',
  // policy/v1beta1 Eviction has the same fields as policy/v1 (older kubectl may send it).
  'policy/v1beta1': 'policy.v1',
  'scheduling.k8s.io/v1': 'scheduling.v1',
  'authentication.k8s.io/v1': 'authentication.v1',
  'authorization.k8s.io/v1': 'authorization.v1',
  'rbac.authorization.k8s.io/v1': 'rbac.v1',
  'storage.k8s.io/v1': 'storage.v1',
};

export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new Error('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  const unknown = decodeMessage(body.subarray(4), 'runtime.Unknown') as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string };
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  const raw = Buffer.from(unknown.raw ?? '', 'base64');
  let type = `${GROUP_PACKAGE[apiVersion] ?? apiVersion.replace(/\.k8s\.io/, '').replace('/', '.')}.${kind}`;
  if (kind === 'DeleteOptions') type = 'meta.v1.DeleteOptions';
  if (!MESSAGES[type]) throw new Error(`no protobuf decoder for ${kind} in ${apiVersion}`);
  return { apiVersion, kind, ...decodeMessage(raw, type) };
}
