/**
 * The HTTPS front of the API server: TLS (cluster PKI, client certificates requested
 * but verified per request so that anonymous health checks still work), authentication,
 * /healthz /livez /readyz /version, then everything else to the ApiHandler.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Authenticator } from './auth.js';
import { isPublicPath } from './auth.js';
import type { ClusterPki } from './certs.js';
import { ApiError, errors } from './errors.js';
import type { ApiHandler } from './handler.js';
import type { Logger } from '../util/log.js';
import { versionInfo } from './version.js';
import { NODE_SERVING_CERT_PATH, serveNodeServingCert } from './node-certs.js';

export interface HttpsServerOptions {
  pki: ClusterPki;
  handler: ApiHandler;
  authenticator: Authenticator;
  host: string;
  port: number;
  /**
   * More addresses to serve on, at the same port (the advertise address pods reach
   * through the `kubernetes` Service when the main listener is loopback). One that cannot
   * be bound is logged and left out, not fatal.
   */
  alsoOn?: string[];
  log: Logger;
  /** Readiness: /readyz answers 200 only once this returns true. */
  ready: () => boolean;
}

function sendStatus(res: ServerResponse, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export class HttpsServer {
  private servers: Server[] = [];
  /** Every address served, after start(). */
  hosts: string[] = [];
  constructor(private readonly o: HttpsServerOptions) {}

  async start(): Promise<AddressInfo> {
    const main = await this.listen(this.o.host, this.o.port);
    const addr = main.address() as AddressInfo;
    this.hosts = [this.o.host];
    for (const host of this.o.alsoOn ?? []) {
      if (this.hosts.includes(host)) continue;
      try {
        await this.listen(host, addr.port);
        this.hosts.push(host);
      } catch (err) {
        this.o.log.warn('cannot listen on an extra address', { host, port: addr.port, err: String(err) });
      }
    }
    return addr;
  }

  private async listen(host: string, port: number): Promise<Server> {
    const server = createServer(
      {
        key: this.o.pki.serving.keyPem,
        cert: this.o.pki.serving.certPem,
        ca: [this.o.pki.ca.certPem],
        requestCert: true,
        rejectUnauthorized: false,
        keepAliveTimeout: 60_000,
      },
      (req, res) => void this.serve(req, res),
    );
    // Watches are long-lived: no request timeout; idle keep-alive sockets still close.
    server.on('upgrade', (req, sock, head) => void this.upgrade(req, sock, head));
    server.on('tlsClientError', (err, sock) => this.o.log.debug('TLS handshake failed', { host, remote: sock.remoteAddress, err: String(err) }));
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
    return server;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      const user = await this.o.authenticator.authenticate(req);
      if (!user && !isPublicPath(path)) return sendStatus(res, errors.unauthorized());
      switch (path) {
        case '/healthz':
        case '/livez':
          return sendText(res, 200, 'ok');
        case '/readyz':
          return this.o.ready() ? sendText(res, 200, 'ok') : sendText(res, 500, '[-]skiff-bootstrap failed: not ready\nreadyz check failed');
        case '/cacerts':
          // k3s serves the cluster CA here so joining agents can bootstrap trust.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          return void res.end(this.o.pki.ca.certPem);
        case NODE_SERVING_CERT_PATH:
          return await serveNodeServingCert(this.o.pki, req, res, user!);
        case '/version': {
          const body = JSON.stringify(versionInfo(), null, 2);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return void res.end(body);
        }
      }
      if (!(await this.o.handler.handle(req, res, user!))) {
        sendStatus(res, new ApiError(404, 'NotFound', 'the server could not find the requested resource'));
      }
    } catch (err) {
      if (err instanceof ApiError) return sendStatus(res, err);
      this.o.log.error('request failed', { url: req.url, err });
      if (!res.headersSent) sendStatus(res, errors.internal(err));
      else res.destroy();
    }
  }

  /** Upgrades (exec, attach, port-forward streams): authenticated like any request. */
  private async upgrade(req: IncomingMessage, sock: import('node:stream').Duplex, head: Buffer): Promise<void> {
    sock.on('error', () => {});
    const reject = (err: ApiError) => {
      const body = JSON.stringify(err.toStatus());
      sock.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    try {
      const user = await this.o.authenticator.authenticate(req);
      if (!user) return reject(errors.unauthorized());
      if (!(await this.o.handler.handleUpgrade(req, sock, head, user))) reject(new ApiError(404, 'NotFound', 'the server could not find the requested resource'));
    } catch (err) {
      this.o.log.error('upgrade failed', { url: req.url, err });
      reject(errors.internal(err));
    }
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }
}
