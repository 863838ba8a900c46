/**
 * A thin etcd v3 client: unary calls (Range, Txn, Compact) straight over node:http2
 * (etcd-h2.ts), the watch stream on @grpc/grpc-js, requests and responses as protobuf
 * bytes (etcd-proto.ts), and the request policy the etcd backend needs, no more:
 *
 * - Every unary request carries a deadline (requestTimeoutMs).
 * - Requests go to one endpoint (as etcd's own Go client pins one); when a request fails
 *   in a way that another member may not (unavailable, deadline exceeded, leader lost, a
 *   cancelled or reset transport), the client moves to the next endpoint and retries, up
 *   to max(3, endpoints + 1) attempts. A retried write may have landed the first time; the
 *   backend detects that (see etcd.ts).
 * - Watch streams carry etcd's "hasleader" metadata (as the Kubernetes API server's do), so
 *   a member cut off from its leader ends them and the watch moves on instead of hanging.
 *
 * The `etcd3` package did the same through a generic layer (protobufjs objects with Long
 * conversion, a connection pool with circuit breakers, per-call option factories) that
 * cost about as much CPU per request as the API server's own work on a create.
 */
import * as grpc from '@grpc/grpc-js';
import { H2Endpoint } from './etcd-h2.js';

export interface EtcdClientOptions {
  /** http://host:port or https://host:port, one per member. */
  endpoints: string[];
  /** PEM contents for TLS (CA, and a client certificate and key for client authentication). */
  tls?: { caPem?: string; certPem?: string; keyPem?: string };
  /** Deadline of each unary request attempt. */
  requestTimeoutMs: number;
}

/** A failed etcd request; `code` is the gRPC status code, the message etcd's (e.g. "etcdserver: mvcc: required revision has been compacted"). */
export class EtcdRequestError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EtcdRequestError';
  }
}

const Status = grpc.status;
const RETRYABLE = new Set<number>([Status.CANCELLED, Status.UNKNOWN, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.ABORTED, Status.INTERNAL, Status.UNAVAILABLE]);

/** True when the same request might succeed on another member (or on this one, later). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' && RETRYABLE.has(code);
}

const identity = (b: Buffer): Buffer => b;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Retries are ours (on another member); grpc-js's own retry and channelz tracking cost CPU per call.
  'grpc.enable_retries': 0,
  'grpc.enable_channelz': 0,
  // A member that comes back is used again within seconds, not after grpc's 2-minute backoff cap.
  'grpc.max_reconnect_backoff_ms': 5000,
  // Notice a silently dead connection (etcd's --grpc-keepalive-min-time is 5 s).
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': -1,
};

export const WATCH_METHOD = '/etcdserverpb.Watch/Watch';

export class EtcdClient {
  private readonly targets: string[];
  private readonly h2: H2Endpoint[];
  private readonly clients: (grpc.Client | undefined)[];
  private readonly creds: grpc.ChannelCredentials;
  private readonly timeoutMs: number;
  private current = 0;
  private closed = false;

  constructor(o: EtcdClientOptions) {
    if (!o.endpoints.length) throw new Error('etcd: no endpoints given');
    const secure = Boolean(o.tls?.caPem) || o.endpoints.some((e) => e.startsWith('https://'));
    this.targets = o.endpoints.map((e) => e.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, ''));
    const tls = { ...(o.tls?.caPem ? { ca: o.tls.caPem } : {}), ...(o.tls?.certPem ? { cert: o.tls.certPem } : {}), ...(o.tls?.keyPem ? { key: o.tls.keyPem } : {}) };
    this.h2 = this.targets.map((t) => new H2Endpoint(`${secure ? 'https' : 'http'}://${t}`, tls));
    this.clients = this.targets.map(() => undefined);
    this.creds = secure
      ? grpc.credentials.createSsl(
          o.tls?.caPem ? Buffer.from(o.tls.caPem) : null,
          o.tls?.keyPem ? Buffer.from(o.tls.keyPem) : null,
          o.tls?.certPem ? Buffer.from(o.tls.certPem) : null,
        )
      : grpc.credentials.createInsecure();
    this.timeoutMs = o.requestTimeoutMs;
    // Spread servers that share one etcd over its members.
    this.current = Math.floor(Math.random() * this.targets.length);
  }

  get endpointCount(): number {
    return this.targets.length;
  }

  private client(i: number): grpc.Client {
    if (this.closed) throw new EtcdRequestError('', Status.CANCELLED, 'etcd client closed');
    return (this.clients[i] ??= new grpc.Client(this.targets[i], this.creds, CHANNEL_OPTIONS));
  }

  /** Moves on from endpoint i after a failure there (unless another request already did). */
  private failover(i: number): void {
    if (this.current === i) this.current = (i + 1) % this.targets.length;
  }

  /**
   * One unary call (e.g. '/etcdserverpb.KV/Txn') with the request as a gRPC frame,
   * retried on the next member when that may help; resolves with the answer message.
   */
  async unary(method: string, frame: Buffer): Promise<Buffer> {
    const attempts = Math.max(3, this.targets.length + 1);
    let last: unknown;
    for (let a = 0; a < attempts; a++) {
      const i = this.current;
      try {
        if (this.closed) throw new EtcdRequestError(method, Status.CANCELLED, 'etcd client closed');
        return await this.h2[i].call(method, frame, this.timeoutMs);
      } catch (err) {
        if (this.closed || !isRetryable(err)) throw wrap(method, err);
        last = err;
        this.failover(i);
      }
    }
    throw wrap(method, last);
  }

  /**
   * Opens a bidirectional stream (the watch) on the current member; `failed` tells the
   * client that the stream broke there, so the next one goes to another member.
   */
  openStream(method: string): { stream: grpc.ClientDuplexStream<Buffer, Buffer>; failed: () => void } {
    const i = this.current;
    const md = new grpc.Metadata();
    md.set('hasleader', 'true');
    const stream = this.client(i).makeBidiStreamRequest(method, identity, identity, md, {});
    return { stream, failed: () => this.failover(i) };
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients) c?.close();
    for (const e of this.h2) e.close();
  }
}

function wrap(method: string, err: unknown): Error {
  if (err instanceof EtcdRequestError) return err;
  const e = err as { code?: number; details?: string; message?: string };
  return new EtcdRequestError(method, e?.code ?? Status.UNKNOWN, `etcd ${method.slice(method.lastIndexOf('/') + 1)}: ${e?.details || e?.message || String(err)}`, { cause: err });
}
