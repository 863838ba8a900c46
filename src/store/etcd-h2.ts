/**
 * gRPC unary calls to one etcd member straight over node:http2, for the store's hot path
 * (Range and Txn). The gRPC wire protocol for a unary call is small and fixed
 * (grpc/doc/PROTOCOL-HTTP2.md): a POST with `content-type: application/grpc` and
 * `te: trailers`, the request as one length-prefixed message, the answer as one
 * length-prefixed message followed by trailers carrying `grpc-status` and
 * `grpc-message` (or a trailers-only answer carrying them in the headers). node:http2
 * does the transport work (TLS and ALPN, flow control, multiplexing). Measured on a
 * create, this costs about half the client CPU of the same call through @grpc/grpc-js,
 * whose call stack (interceptors, resolving/retrying/load-balancing layers) is built
 * per call; the watch stream, long-lived and cheap per event, stays on @grpc/grpc-js.
 */
import http2 from 'node:http2';

/** A gRPC status from the member (or made up here for transport failures, as grpc-js does). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(details, options);
    this.name = 'GrpcStatusError';
  }
}

// gRPC status codes used here (grpc/doc/statuscodes.md).
export const CANCELLED = 1;
export const UNKNOWN = 2;
export const DEADLINE_EXCEEDED = 4;
export const INTERNAL = 13;
export const UNAVAILABLE = 14;

export interface H2Tls {
  ca?: string;
  cert?: string;
  key?: string;
}

const { NGHTTP2_CANCEL } = http2.constants;

/** HTTP/2 connection to one member; reconnects on the next call after it closes. */
export class H2Endpoint {
  private session?: http2.ClientHttp2Session;

  constructor(
    /** http://host:port or https://host:port */
    private readonly url: string,
    private readonly tls?: H2Tls,
  ) {}

  private connect(): http2.ClientHttp2Session {
    const cur = this.session;
    if (cur && !cur.closed && !cur.destroyed) return cur;
    const opts: http2.SecureClientSessionOptions & { noDelay: boolean } = {
      ...(this.tls ?? {}),
      // Small requests go out at once, not after the previous one's ACK (Nagle); passed on to net.connect.
      noDelay: true,
      // Large LIST answers should not wait on 64 KiB flow-control windows.
      settings: { enablePush: false, initialWindowSize: 4 << 20 },
      maxSessionMemory: 128,
    };
    const s = http2.connect(this.url, opts);
    s.on('connect', () => s.setLocalWindowSize(32 << 20));
    // Failures reach every stream on it as their own errors; the session just goes.
    s.on('error', () => {});
    const forget = () => {
      if (this.session === s) this.session = undefined;
    };
    s.on('goaway', forget);
    s.on('close', forget);
    // An idle connection does not keep the process alive; a pending call's deadline timer does.
    s.unref();
    this.session = s;
    return s;
  }

  /** One unary call; `frame` is the request as one gRPC frame (ProtoWriter.frame()). */
  call(path: string, frame: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = this.connect().request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m` });
      } catch (err) {
        this.session = undefined;
        reject(new GrpcStatusError(UNAVAILABLE, `connecting to ${this.url}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      let done = false;
      const finish = (err: GrpcStatusError | undefined, msg?: Buffer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(msg!);
      };
      const timer = setTimeout(() => {
        finish(new GrpcStatusError(DEADLINE_EXCEEDED, `deadline of ${timeoutMs} ms exceeded`));
        req.close(NGHTTP2_CANCEL);
      }, timeoutMs);
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const takeStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] === undefined) return;
        status = String(h['grpc-status']);
        message = decodeGrpcMessage(String(h['grpc-message'] ?? ''));
      };
      req.on('response', (h) => {
        const code = Number(h[':status']);
        if (code !== 200) finish(new GrpcStatusError(code === 503 || code === 502 || code === 504 ? UNAVAILABLE : UNKNOWN, `HTTP status ${code} from ${this.url}`));
        takeStatus(h); // a trailers-only answer
      });
      req.on('trailers', takeStatus);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (err: Error) => finish(new GrpcStatusError(UNAVAILABLE, `${this.url}: ${err.message}`, { cause: err })));
      req.on('close', () => {
        if (done) return;
        if (status === undefined) return finish(new GrpcStatusError(req.rstCode === NGHTTP2_CANCEL ? CANCELLED : UNAVAILABLE, `stream to ${this.url} closed without a gRPC status (HTTP/2 code ${req.rstCode})`));
        if (status !== '0') return finish(new GrpcStatusError(Number(status), message));
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) return finish(new GrpcStatusError(INTERNAL, `malformed gRPC answer from ${this.url} (${body.length} bytes)`));
        finish(undefined, body.subarray(5));
      });
      req.end(frame);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}

/** grpc-message is percent-encoded (PROTOCOL-HTTP2.md). */
function decodeGrpcMessage(m: string): string {
  if (!m.includes('%')) return m;
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}
