/**
 * The agent's kubelet-style streaming endpoint (HTTPS, port 10250 by default), which the
 * API server calls for pods/log, pods/exec, pods/attach and pods/portforward:
 *   GET  /containerLogs/{namespace}/{pod}/{container}?follow&previous&tailLines&...
 *   GET|POST /exec/{namespace}/{pod}/{container}?command=..&stdin&stdout&stderr&tty
 *   GET|POST /attach/{namespace}/{pod}/{container}?stdin&stdout&stderr&tty
 *   GET|POST /portForward/{namespace}/{pod}
 *   GET  /metrics/resource   (resource usage in Prometheus text, as metrics-server scrapes it)
 * Its certificate is signed by the cluster CA; callers authenticate with a client
 * certificate from the cluster CA (the API server's kubelet client, or any
 * system:masters user) or with the cluster token as a bearer token.
 * Several nodes (hollow nodes in one process) share one TLS server; each has a plain TCP
 * listener of its own at its node address (which tells the requests apart), so the API
 * server reaches each node like a real one.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../util/log.js';
import type { ContainerStatus, Runtime } from '../runtime/types.js';
import { readCriLog } from './cri-log.js';
import { resourceMetricsText, type ResourceMetricsNode } from './resource-metrics.js';
import { PORT_FORWARD_PROTOCOL, PORT_FORWARD_WS_TUNNEL, serveChannelPortForward, servePortForward, spdyOverSocket, spdyOverWebSocket } from './port-forward.js';
import { dialRuntimePort, relayRemoteCommandSpdy } from './relay.js';
import { errorStatus, exitStatus, remoteCommandOptions, spdyRemoteCommand, SPDY_PROTOCOL_V4, successStatus, wsRemoteCommand, WS_V4, WS_V5, type RemoteCommandOptions, type RemoteCommandSession } from './remote-command.js';
import { ExecStartError, isInProcessStreaming } from './types.js';

/** What the server needs to know about one node. */
export interface StreamingNode extends ResourceMetricsNode {
  nodeName: string;
  runtime(): Runtime | undefined;
  /** The pod as the agent knows it (informer cache). */
  pod(namespace: string, name: string): any | undefined;
}

export interface StreamingServerOptions {
  tls: { certPem: string; keyPem: string; caPem: string };
  /** Accepted as a bearer token (the cluster token). */
  token?: string;
  log: Logger;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function statusBody(e: HttpError): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code });
}

const badRequest = (m: string) => new HttpError(400, 'BadRequest', m);

export class StreamingServer {
  /** One TLS context and HTTP parser for every node; plain TCP listeners feed it. */
  private readonly https: Server;
  private readonly listeners: NetServer[] = [];
  /** Which node a connection is for, by the local address it arrived on. */
  private readonly nodes = new Map<string, StreamingNode>();
  /** The websocket servers, made at the first websocket request (the ws module costs an idle agent several MB). */
  private websockets?: Promise<{ wss: WebSocketServer; tunnelWss: WebSocketServer }>;

  constructor(private readonly o: StreamingServerOptions) {
    this.https = createServer({ key: o.tls.keyPem, cert: o.tls.certPem, ca: o.tls.caPem, requestCert: true, rejectUnauthorized: false }, (req, res) => void this.request(req, res));
    this.https.on('upgrade', (req, sock, head) => void this.upgrade(req, sock, head));
    this.https.requestTimeout = 0;
  }

  private pickProtocol(offered: Set<string>): string | false {
    for (const p of [WS_V5, WS_V4]) if (offered.has(p)) return p;
    return false;
  }

  /** Serves node on host:port (0: any free port); resolves with the port. */
  async listen(node: StreamingNode, host: string, port: number): Promise<number> {
    const l = createNetServer((sock) => this.https.emit('connection', sock));
    await new Promise<void>((resolve, reject) => {
      l.once('error', reject);
      l.listen(port, host, () => {
        l.off('error', reject);
        resolve();
      });
    });
    this.listeners.push(l);
    const addr = l.address() as AddressInfo;
    this.nodes.set(`${addr.address}:${addr.port}`, node);
    return addr.port;
  }

  private nodeOf(req: IncomingMessage): StreamingNode | undefined {
    const s = req.socket;
    return this.nodes.get(`${(s.localAddress ?? '').replace(/^::ffff:/, '')}:${s.localPort}`);
  }

  private ws(): Promise<{ wss: WebSocketServer; tunnelWss: WebSocketServer }> {
    this.websockets ??= import('ws').then(({ WebSocketServer }) => {
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (p) => this.pickProtocol(p) });
      // The port-forward tunnel's subprotocol `SPDY/3.1+portforward.k8s.io` is not an RFC 7230
      // token ('/' and '+'), which ws refuses to parse: that handshake is answered by a
      // server that ignores the offer and names the protocol itself.
      const tunnelWss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
      tunnelWss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_WS_TUNNEL}`));
      return { wss, tunnelWss };
    });
    return this.websockets;
  }

  async close(): Promise<void> {
    const ws = await this.websockets;
    for (const c of [...(ws?.wss.clients ?? []), ...(ws?.tunnelWss.clients ?? [])]) c.terminate();
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    this.https.closeAllConnections();
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth && /^bearer /i.test(auth)) return !!this.o.token && auth.slice(7).trim() === this.o.token;
    const sock = req.socket as TLSSocket;
    if (!sock.authorized) return false;
    const subj = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
    const groups = [subj?.O ?? []].flat();
    return subj?.CN === 'kube-apiserver-kubelet-client' || groups.includes('system:masters');
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    try {
      if (!this.authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const node = this.nodeOf(req);
      if (!node) throw new HttpError(404, 'NotFound', 'no node is served at this address');
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (parts[0] === 'containerLogs' && parts.length === 4 && req.method === 'GET') return await this.logs(node, parts[1], parts[2], parts[3], url.searchParams, res, ac.signal);
      if (url.pathname === '/metrics/resource' && req.method === 'GET') {
        const body = await resourceMetricsText(node);
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        return void res.end(body);
      }
      if (['exec', 'attach', 'portForward'].includes(parts[0])) throw badRequest('Upgrade request required');
      throw new HttpError(404, 'NotFound', '404 page not found');
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', String((err as Error)?.message ?? err));
      if (!res.headersSent) {
        const body = statusBody(e);
        res.writeHead(e.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } else res.destroy();
    }
  }

  /** The current (or previous) instance of a container of a pod, from the runtime. */
  private async containers(node: StreamingNode, pod: any, name: string): Promise<{ rt: Runtime; current?: ContainerStatus; previous?: ContainerStatus }> {
    const rt = node.runtime();
    if (!rt) throw new HttpError(503, 'ServiceUnavailable', `node ${node.nodeName} has no runtime yet`);
    const sandboxes = (await rt.listSandboxes()).filter((s) => s.podUid === pod.metadata.uid);
    const all: ContainerStatus[] = [];
    for (const sb of sandboxes) all.push(...(await rt.listContainers(sb.id)).filter((c) => c.name === name));
    all.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return { rt, current: all[0], previous: all[1] };
  }

  private podOrThrow(node: StreamingNode, ns: string, name: string): any {
    const pod = node.pod(ns, name);
    if (!pod) throw new HttpError(404, 'NotFound', `pod "${name}" not found`);
    return pod;
  }

  private async logs(node: StreamingNode, ns: string, podName: string, container: string, q: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const pod = this.podOrThrow(node, ns, podName);
    const previous = q.get('previous') === 'true';
    const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
    const st = statuses.find((s: any) => s.name === container);
    // The kubelet's checks (validateContainerLogStatus), on the status it reported.
    if (previous && !st?.lastState?.terminated) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    if (!previous && st?.state?.waiting && !st?.lastState?.terminated) throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${st.state.waiting.reason}`);
    const { rt, current, previous: prev } = await this.containers(node, pod, container);
    const target = previous ? prev : current;
    if (!target) {
      if (!st) throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`);
      throw badRequest(previous ? `previous terminated container "${container}" in pod "${podName}" not found` : `container "${container}" in pod "${podName}" is not available`);
    }
    const num = (k: string) => (q.get(k) === null ? undefined : Number(q.get(k)));
    const sinceSeconds = num('sinceSeconds');
    const sinceTime = q.get('sinceTime') ? new Date(q.get('sinceTime')!) : sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000) : undefined;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (!target.logPath) return void res.end();
    await readCriLog({
      path: target.logPath,
      follow: q.get('follow') === 'true' && !previous,
      tailLines: num('tailLines'),
      limitBytes: num('limitBytes'),
      timestamps: q.get('timestamps') === 'true',
      sinceTime,
      signal,
      isRunning: async () => (await rt.containerStatus(target.id))?.state === 'running',
      sink: { write: (b) => (res.writableEnded ? false : (res.write(b), true)) },
    });
    res.end();
  }

  private async upgrade(req: IncomingMessage, sock: Duplex, head: Buffer): Promise<void> {
    sock.on('error', () => {});
    try {
      if (!this.authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const node = this.nodeOf(req);
      if (!node) throw new HttpError(404, 'NotFound', 'no node is served at this address');
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const kind = parts[0];
      const isWs = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
      const isSpdy = String(req.headers.upgrade ?? '').toUpperCase().startsWith('SPDY/3.1');
      if (!isWs && !isSpdy) throw badRequest(`unsupported upgrade ${JSON.stringify(req.headers.upgrade ?? '')}`);
      if ((kind === 'exec' || kind === 'attach') && parts.length === 4) {
        const pod = this.podOrThrow(node, parts[1], parts[2]);
        const o = remoteCommandOptions(url.searchParams);
        if (kind === 'exec' && !o.command.length) throw badRequest('you must specify at least 1 command');
        const { rt, current } = await this.containers(node, pod, parts[3]);
        if (!current || current.state !== 'running') throw badRequest(`container not found ("${parts[3]}")`);
        const session = await this.acceptRemoteCommand(req, sock, head, isWs, o);
        if (!session) return;
        await this.runRemoteCommand(kind, rt, current, o, session);
        return;
      }
      if (kind === 'portForward' && parts.length === 3) {
        const pod = this.podOrThrow(node, parts[1], parts[2]);
        const rt = node.runtime();
        if (!rt) throw new HttpError(503, 'ServiceUnavailable', `node ${node.nodeName} has no runtime yet`);
        const sandbox = (await rt.listSandboxes()).find((s) => s.podUid === pod.metadata.uid && s.ready);
        if (!sandbox) throw badRequest(`pod ${parts[2]} has no running sandbox`);
        const describe = `pod ${parts[2]}, uid ${pod.metadata.uid}`;
        const dial = async (port: number): Promise<Duplex> => {
          if (isInProcessStreaming(rt)) {
            const addr = rt.portForwardAddress(sandbox.id, port);
            return dialTcp(addr.host, addr.port);
          }
          if (!rt.streamingUrl) throw new Error(`port-forward is not supported by the ${rt.name} runtime`);
          // One runtime session per connection: CRI streaming URLs are single-use.
          return dialRuntimePort(await rt.streamingUrl({ kind: 'portforward', sandboxId: sandbox.id, ports: [port] }), port);
        };
        if (isWs && this.wantsProtocol(req, PORT_FORWARD_WS_TUNNEL)) {
          delete req.headers['sec-websocket-protocol'];
          (await this.ws()).tunnelWss.handleUpgrade(req, sock, head, (ws) => servePortForward(spdyOverWebSocket(ws), { dial, describe }));
        } else if (isWs) {
          if (!this.wantsProtocol(req, WS_V5) && !this.wantsProtocol(req, WS_V4)) throw badRequest(`port-forward over websocket needs subprotocol ${PORT_FORWARD_WS_TUNNEL}, ${WS_V5} or ${WS_V4}`);
          const ports = url.searchParams.getAll('port').map(Number);
          if (!ports.length) throw badRequest('query parameter "port" is required');
          if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw badRequest(`invalid port in ${JSON.stringify(url.searchParams.getAll('port'))}`);
          (await this.ws()).wss.handleUpgrade(req, sock, head, (ws) => serveChannelPortForward(ws, ws.protocol, ports, { dial, describe }));
        } else {
          if (!this.spdyHandshake(req, sock, PORT_FORWARD_PROTOCOL)) return;
          servePortForward(spdyOverSocket(sock as Socket, head), { dial, describe });
        }
        return;
      }
      throw new HttpError(404, 'NotFound', '404 page not found');
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', String((err as Error)?.message ?? err));
      if (!(err instanceof HttpError)) this.o.log.warn('streaming request failed', { url: req.url, err });
      writeHttpError(sock, e);
    }
  }

  private wantsProtocol(req: IncomingMessage, p: string): boolean {
    return String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).includes(p);
  }

  /** Answers a SPDY upgrade with 101 for protocol p, or with 403 if the client does not offer it. */
  private spdyHandshake(req: IncomingMessage, sock: Duplex, p: string): boolean {
    const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim());
    if (!offered.includes(p)) {
      writeHttpError(sock, new HttpError(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ["${p}"]`));
      return false;
    }
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${p}\r\n\r\n`);
    return true;
  }

  private async acceptRemoteCommand(req: IncomingMessage, sock: Duplex, head: Buffer, isWs: boolean, o: RemoteCommandOptions): Promise<RemoteCommandSession | undefined> {
    if (isWs) {
      if (!this.wantsProtocol(req, WS_V5) && !this.wantsProtocol(req, WS_V4)) throw badRequest(`exec over websocket needs subprotocol ${WS_V5} or ${WS_V4}`);
      const { wss } = await this.ws();
      const ws = await new Promise<WebSocket>((resolve) => wss.handleUpgrade(req, sock, head, resolve));
      return wsRemoteCommand(ws, ws.protocol, o);
    }
    if (!this.spdyHandshake(req, sock, SPDY_PROTOCOL_V4)) return undefined;
    try {
      return await spdyRemoteCommand(spdyOverSocket(sock as Socket, head), o);
    } catch (err) {
      this.o.log.warn('exec streams not opened', { err });
      return undefined;
    }
  }

  private async runRemoteCommand(kind: string, rt: Runtime, c: ContainerStatus, o: RemoteCommandOptions, s: RemoteCommandSession): Promise<void> {
    const io = { stdin: s.stdin, stdout: s.stdout, stderr: s.stderr, tty: o.tty, signal: s.signal };
    try {
      if (isInProcessStreaming(rt)) {
        if (kind === 'exec') {
          const code = await rt.execStream(c.id, o.command, io);
          return await s.finish(exitStatus(code, o.command));
        }
        await rt.attachStream(c.id, io);
        return await s.finish(successStatus());
      }
      if (rt.streamingUrl) {
        const url = await rt.streamingUrl(kind === 'exec' ? { kind: 'exec', containerId: c.id, cmd: o.command, tty: o.tty, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr } : { kind: 'attach', containerId: c.id, tty: o.tty, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr });
        // SPDY, not websocket v4: only SPDY carries the client's stdin EOF to the runtime.
        return await relayRemoteCommandSpdy(s, url);
      }
      await s.finish(errorStatus(`${kind} is not supported by the ${rt.name} runtime`));
    } catch (err) {
      const msg = err instanceof ExecStartError ? `failed to exec in container: ${err.message}` : String((err as Error)?.message ?? err);
      await s.finish(errorStatus(msg)).catch(() => {});
    }
  }
}

function dialTcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** An HTTP error response on a socket that was not upgraded. */
function writeHttpError(sock: Duplex, e: HttpError): void {
  if (sock.destroyed) return;
  const body = statusBody(e);
  sock.end(`HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
