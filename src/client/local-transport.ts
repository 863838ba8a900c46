/**
 * The in-process transport: components started inside `skiff server` reach the API
 * handler directly, with no TLS or HTTP parsing in between, through request and response
 * objects that behave like node's (headers, body stream, chunked watch streams, close on
 * abort). Semantics are the API's own — the same handler serves both — so a component
 * works unchanged over HTTPS in its own process.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';

export interface LocalHandler {
  handle(req: IncomingMessage, res: ServerResponse, user: { name: string; groups: string[] }): Promise<boolean>;
}

export interface LocalRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

class LocalResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  private headers: Record<string, unknown> = {};
  readonly socket = { setNoDelay: () => {} };

  constructor(
    private readonly out: PassThrough,
    private readonly onHeaders: (code: number, headers: Record<string, unknown>) => void,
  ) {
    super();
  }

  writeHead(code: number, headers?: Record<string, unknown>): this {
    if (this.headersSent) return this;
    this.statusCode = code;
    this.headers = Object.fromEntries(Object.entries({ ...this.headers, ...(headers ?? {}) }).map(([k, v]) => [k.toLowerCase(), v]));
    this.headersSent = true;
    this.onHeaders(code, this.headers);
    return this;
  }

  setHeader(name: string, value: unknown): void {
    this.headers[name.toLowerCase()] = value;
  }

  flushHeaders(): void {
    this.writeHead(this.statusCode);
  }

  write(chunk: string | Buffer): boolean {
    this.flushHeaders();
    if (!this.out.destroyed) this.out.write(chunk);
    return true;
  }

  end(chunk?: string | Buffer): void {
    this.flushHeaders();
    if (this.out.destroyed) return;
    if (chunk !== undefined) this.out.write(chunk);
    this.out.end();
  }

  destroy(): void {
    this.out.destroy();
  }
}

/** Sends one request to the handler; resolves with an IncomingMessage-like stream once headers are written. */
export function localRequest(handler: LocalHandler, user: { name: string; groups: string[] }, r: LocalRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = Readable.from(r.body !== undefined ? [Buffer.from(r.body)] : []) as unknown as IncomingMessage & EventEmitter;
    Object.assign(req, { method: r.method, url: r.path, headers: r.headers, socket: {} });
    const out = new PassThrough();
    const res = new LocalResponse(out, (statusCode, headers) => resolve(Object.assign(out, { statusCode, headers }) as unknown as IncomingMessage));
    const close = () => {
      req.emit('close');
      out.destroy();
    };
    if (r.signal) {
      if (r.signal.aborted) return reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
      r.signal.addEventListener('abort', close, { once: true });
    }
    out.on('close', () => {
      r.signal?.removeEventListener('abort', close);
      req.emit('close');
    });
    handler.handle(req, res as unknown as ServerResponse, user).then(
      (handled) => {
        if (!handled && !res.headersSent) {
          const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(body);
        }
      },
      (err) => (res.headersSent ? out.destroy(err) : reject(err)),
    );
  });
}
