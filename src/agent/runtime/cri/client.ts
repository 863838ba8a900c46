/**
 * CRI v1 clients (RuntimeService and ImageService) over a unix socket: the hand-written
 * api.proto loaded with @grpc/proto-loader, each RPC wrapped as a promise with a
 * deadline. Messages use proto3 JSON-ish objects with camelCase field names; int64
 * fields arrive as decimal strings (nanosecond timestamps do not fit a double).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Where api.proto is: beside this module in src/, or back in src/ when running from dist/. */
export function protoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'api.proto'), join(here, '../../../../../src/agent/runtime/cri/api.proto')];
  const p = candidates.find((c) => existsSync(c));
  if (!p) throw new Error(`CRI api.proto not found (looked in ${candidates.join(', ')})`);
  return p;
}

let loaded: grpc.GrpcObject | undefined;
function definitions(): grpc.GrpcObject {
  if (!loaded) {
    const def = protoLoader.loadSync(protoPath(), { keepCase: false, longs: String, enums: String, defaults: true, oneofs: false });
    loaded = grpc.loadPackageDefinition(def);
  }
  return loaded;
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

function wrap(client: grpc.Client, methods: string[]): Record<string, Call> {
  const out: Record<string, Call> = {};
  for (const m of methods) {
    const fn = (client as any)[m].bind(client);
    out[m] = (req, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      new Promise((resolve, reject) => {
        fn(req, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: any) => {
          if (err) reject(new CriError(m, err.code, err.details || err.message, { cause: err }));
          else resolve(res);
        });
      });
  }
  return out;
}

/** Connects (lazily, as gRPC does) to a CRI endpoint: a socket path or unix:///path. */
export function connectCri(endpoint: string): CriClient {
  const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
  const pkg = (definitions() as any).runtime.v1;
  const opts = { 'grpc.max_receive_message_length': 32 * 1024 * 1024 };
  const rt: grpc.Client = new pkg.RuntimeService(target, grpc.credentials.createInsecure(), opts);
  const img: grpc.Client = new pkg.ImageService(target, grpc.credentials.createInsecure(), opts);
  return {
    runtime: wrap(rt, Object.keys(pkg.RuntimeService.service)),
    image: wrap(img, Object.keys(pkg.ImageService.service)),
    close() {
      rt.close();
      img.close();
    },
  };
}

/** Nanoseconds since the epoch (int64 as a string) to a Date; undefined for 0. */
export function nsToDate(ns: string | number | undefined): Date | undefined {
  if (ns === undefined || ns === '0' || ns === 0) return undefined;
  return new Date(Number(BigInt(ns) / 1_000_000n));
}
