/**
 * A small REST client for the Kubernetes API over HTTPS (keep-alive, client
 * certificate or bearer token), used by every in-tree component: controllers, scheduler,
 * agents. Failures come back as StatusError carrying the server's metav1.Status.
 * Given several servers (`Credentials.servers`) it fails over between them when a
 * connection fails (client/failover.ts).
 */
import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { localRequest, type LocalHandler } from './local-transport.js';
import { mayResend, isConnectionFailure, ServerList } from './failover.js';

export interface Credentials {
  /** https://host:port */
  server: string;
  /** Every API server of the cluster, in order of preference (default: just `server`). */
  servers?: string[];
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: any,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

export const isNotFound = (e: unknown) => e instanceof StatusError && e.code === 404;
export const isConflict = (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists';
export const isForbidden = (e: unknown) => e instanceof StatusError && e.code === 403;
export const isGone = (e: unknown) => e instanceof StatusError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');

export interface RequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

/** Reads the cluster, CA and user credentials of the current context of a kubeconfig file. */
export function credentialsFromKubeconfig(path: string): Credentials {
  const kc = yaml.load(readFileSync(path, 'utf8')) as any;
  const ctxName = kc['current-context'];
  const ctx = (kc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? kc.contexts?.[0]?.context;
  const cluster = (kc.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster;
  const user = (kc.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {};
  const dec = (s?: string) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  return {
    server: cluster.server,
    caPem: dec(cluster['certificate-authority-data']) ?? readFileSync(cluster['certificate-authority'], 'utf8'),
    certPem: dec(user['client-certificate-data']),
    keyPem: dec(user['client-key-data']),
    token: user.token,
  };
}

function qs(q?: RequestOptions['query']): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

export interface RestClientOptions {
  maxSockets?: number;
  userAgent?: string;
  /** In-process transport: call this API handler directly (as this user) instead of HTTPS. */
  local?: { handler: LocalHandler; user: { name: string; groups: string[] } };
  /** Told when the client moves to another server after a connection failure. */
  onFailover?: (from: string, to: string, err: unknown) => void;
  /** A connection not made in this time counts as failed (default 5 s). */
  connectTimeoutMs?: number;
}

export class RestClient {
  private readonly agent: Agent;
  private readonly servers: ServerList;
  private readonly userAgent: string;
  private readonly local?: RestClientOptions['local'];
  private readonly connectTimeoutMs: number;

  constructor(readonly creds: Credentials, opts: RestClientOptions = {}) {
    this.servers = new ServerList(creds.servers?.length ? creds.servers : [creds.server], opts.onFailover);
    // One TLS context for every connection (otherwise each new socket parses the CA, the
    // certificate and the key again); the agent's session cache resumes handshakes.
    const secureContext = createSecureContext({ ca: creds.caPem, cert: creds.certPem, key: creds.keyPem });
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 32, ca: creds.caPem, cert: creds.certPem, key: creds.keyPem, secureContext });
    this.userAgent = opts.userAgent ?? 'skiff';
    this.local = opts.local;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  }

  /** The server requests go to now (after any failover). */
  currentServer(): string {
    return this.servers.pick().origin;
  }

  /** Sends a request and resolves with the response stream (status not checked). */
  async raw(path: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (body !== undefined) {
      headers['content-type'] = o.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    if (this.creds.token) headers.authorization = `Bearer ${this.creds.token}`;
    const method = o.method ?? 'GET';
    if (this.local) return localRequest(this.local.handler, this.local.user, { method, path: path + qs(o.query), headers, body, signal: o.signal });
    // Each server at most once per request: a full round of failed connections is the caller's error.
    for (let attempt = 1; ; attempt++) {
      const url = this.servers.pick();
      try {
        return await this.send(url, method, path + qs(o.query), headers, body, o.signal);
      } catch (err) {
        if (o.signal?.aborted || !isConnectionFailure(err)) throw err;
        this.servers.failed(url, err);
        if (attempt >= this.servers.size || !mayResend(err, method)) throw err;
      }
    }
  }

  private send(url: URL, method: string, path: string, headers: Record<string, string>, body: string | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 443, path, method, headers, agent: this.agent, signal }, resolve);
      req.on('error', reject);
      req.on('socket', (sock) => {
        if (!sock.connecting) return;
        const t = setTimeout(() => req.destroy(Object.assign(new Error(`connect to ${url.host} timed out`), { code: 'ECONNECTTIMEOUT' })), this.connectTimeoutMs);
        const clear = () => clearTimeout(t);
        sock.once('connect', clear);
        sock.once('close', clear);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Sends a request and parses the JSON answer; non-2xx answers throw StatusError. */
  async request<T = any>(path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.raw(path, o);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const code = res.statusCode ?? 0;
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (code < 200 || code >= 300) {
      if (parsed?.kind === 'Status') throw new StatusError(code, parsed.reason ?? '', parsed.message ?? text, parsed);
      throw new StatusError(code, '', text || `HTTP ${code}`);
    }
    return parsed as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
