/**
 * A minimal HTTPS client for the benchmarks: keep-alive sockets (maxSockets = the wanted
 * concurrency), the admin client certificate and CA taken from the kubeconfig, JSON bodies,
 * a per-request time limit, and a streaming watch reader (one JSON event per line, as the
 * Kubernetes watch protocol sends them).
 */
import { Agent, request, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import { credentialsFromKubeconfig } from '../../src/client/rest.js';

export interface BenchResponse {
  code: number;
  body: string;
}

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string }; data?: Record<string, string> };
}

/** An open watch; close() ends the stream and its socket. */
export interface WatchStream {
  close(): void;
}

export class BenchClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchClientError';
  }
}

export class BenchClient {
  readonly agent: Agent;
  private readonly url: URL;
  private readonly tls: { ca: string; cert?: string; key?: string };

  constructor(kubeconfigPath: string, maxSockets: number, private readonly timeoutMs = 30_000) {
    const c = credentialsFromKubeconfig(kubeconfigPath);
    this.url = new URL(c.server);
    this.tls = { ca: c.caPem, cert: c.certPem, key: c.keyPem };
    this.agent = new Agent({ keepAlive: true, maxSockets, ...this.tls });
  }

  private base(path: string): RequestOptions {
    return { host: this.url.hostname, port: this.url.port, path };
  }

  /** One request; resolves with the status code and the whole body. */
  req(method: string, path: string, body?: unknown): Promise<BenchResponse> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (data !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
      const r = request({ ...this.base(path), method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      r.setTimeout(this.timeoutMs, () => r.destroy(new BenchClientError(`${method} ${path} got no answer in ${this.timeoutMs / 1000}s`)));
      r.on('error', reject);
      if (data !== undefined) r.write(data);
      r.end();
    });
  }

  /** Like req, but throws unless the status code is the expected one; returns the parsed body. */
  async expect<T = any>(code: number, method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.req(method, path, body);
    if (r.code !== code) throw new BenchClientError(`${method} ${path} answered ${r.code} (wanted ${code}): ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  }

  /** Opens a watch on its own socket; resolves once the server answered 200 with the stream. */
  watch(path: string, onEvent: (e: WatchEvent) => void): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const r = request({ ...this.base(path), ...this.tls, agent: false, headers: { accept: 'application/json' } });
      r.setTimeout(this.timeoutMs, () => r.destroy(new BenchClientError(`watch ${path} got no answer`)));
      r.on('error', reject);
      r.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new BenchClientError(`watch ${path} answered ${res.statusCode}`));
          return;
        }
        r.setTimeout(0);
        res.on('error', () => {});
        const lines = createInterface({ input: res });
        lines.on('error', () => {});
        lines.on('line', (line) => {
          if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
        });
        resolve({ close: () => r.destroy() });
      });
      r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
