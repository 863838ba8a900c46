/**
 * CRI v1 clients (RuntimeService and ImageService) over a unix socket with @grpc/grpc-js:
 * the hand-written api.proto read by proto-codec.ts, each RPC wrapped as a promise with a
 * deadline. Messages are plain objects with camelCase field names; int64 fields arrive
 * as decimal strings (nanosecond timestamps do not fit a double).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { decode, encode, parseProto, type ProtoFile } from './proto-codec.js';

/** Where a .proto file of this folder is: beside this module in src/, or back in src/ when running from dist/. */
export function protoPath(name = 'api.proto'): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, name), join(here, '../../../../../src/agent/runtime/cri', name)];
  const p = candidates.find((c) => existsSync(c));
  if (!p) throw new Error(`CRI ${name} not found (looked in ${candidates.join(', ')})`);
  return p;
}

const loaded = new Map<string, ProtoFile>();
export function protoFile(name = 'api.proto'): ProtoFile {
  let f = loaded.get(name);
  if (!f) loaded.set(name, (f = parseProto(readFileSync(protoPath(name), 'utf8'))));
  return f;
}

/** A CRI call failed: carries the gRPC status code (5 = NOT_FOUND, 4 = DEADLINE_EXCEEDED, ...). */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`CRI ${method}: ${details}`, options);
  }
  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND || /not found/i.test(this.details);
  }
}

type Call = (req: any, timeoutMs?: number) => Promise<any>;

export interface CriClient {
  runtime: Record<string, Call>;
  image: Record<string, Call>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 2 * 60_000;

function wrap(client: grpc.Client, file: ProtoFile, service: string): Record<string, Call> {
  const out: Record<string, Call> = {};
  for (const rpc of file.services.get(service)!) {
    const path = `/${file.pkg}.${service}/${rpc.name}`;
    const serialize = (req: unknown) => encode(file, rpc.request, req);
    const deserialize = (buf: Buffer) => decode(file, rpc.response, buf);
    out[rpc.name] = (req, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(path, serialize, deserialize, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
          if (err) reject(new CriError(rpc.name, err.code, err.details || err.message, { cause: err }));
          else resolve(res);
        });
      });
  }
  return out;
}

/** Connects (lazily, as gRPC does) to a CRI endpoint: a socket path or unix:///path. */
export function connectCri(endpoint: string): CriClient {
  const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
  const file = protoFile();
  // One channel serves both services, as they share the socket.
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 32 * 1024 * 1024 });
  return {
    runtime: wrap(client, file, 'RuntimeService'),
    image: wrap(client, file, 'ImageService'),
    close() {
      client.close();
    },
  };
}

/** Nanoseconds since the epoch (int64 as a string) to a Date; undefined for 0. */
export function nsToDate(ns: string | number | undefined): Date | undefined {
  if (ns === undefined || ns === '0' || ns === 0) return undefined;
  return new Date(Number(BigInt(ns) / 1_000_000n));
}
