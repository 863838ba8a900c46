/**
 * Relays a client's exec/attach session to the runtime's own streaming server (CRI
 * Exec/Attach return a URL on containerd's streaming server). The agent dials that URL
 * over SPDY/3.1 (relayRemoteCommandSpdy, the default: it can half-close stdin) or as a
 * websocket with subprotocol v4.channel.k8s.io (containerd's streaming server speaks
 * v4 and the pre-v4 channel protocol over websocket) and copies channels:
 * client stdin → 0, 1 → client stdout, 2 → client stderr, 4 ← client resize, and the
 * runtime's final status on 3 becomes the client's status. v4 cannot half-close stdin,
 * so a client's stdin EOF reaches the runtime only when the session ends.
 * Port-forward connections go the same way (dialRuntimePort). The ws module loads on
 * first use: most agents never stream, and it costs an idle agent several MB.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { Duplex } from 'node:stream';
import { errorStatus, SPDY_PROTOCOL_V4 as SPDY_V4, successStatus, WS_V4, type RemoteCommandSession } from './remote-command.js';
import { SpdySession } from './spdy.js';

export interface RelayOptions {
  /** TLS trust for an https/wss streaming URL (containerd's is plain http on loopback by default). */
  ca?: string;
  /** Give up connecting after this long. */
  connectTimeoutMs?: number;
}

export async function relayRemoteCommand(session: RemoteCommandSession, url: string, o: RelayOptions = {}): Promise<void> {
  const wsUrl = url.replace(/^http/, 'ws');
  // What the client sends before the runtime's websocket is open waits for it.
  let pending: Buffer[] | undefined = [];
  let ws: import('ws').WebSocket | undefined;
  const send = (b: Buffer) => {
    if (pending) pending.push(b);
    else if (ws && ws.readyState === ws.OPEN) ws.send(b, { binary: true });
  };
  session.stdin?.on('data', (d: Buffer) => send(Buffer.concat([Buffer.from([0]), d])));
  session.resize.on('resize', (sz) => send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify(sz))])));
  const { WebSocket } = await import('ws');
  return new Promise<void>((resolve) => {
    ws = new WebSocket(wsUrl, [WS_V4, 'channel.k8s.io'], { ca: o.ca, handshakeTimeout: o.connectTimeoutMs ?? 10_000 });
    const sock = ws;
    let status = '';
    let finished = false;
    const finish = (st: object) => {
      if (finished) return;
      finished = true;
      void session.finish(st).then(resolve, () => resolve());
    };
    sock.on('open', () => {
      const queued = pending ?? [];
      pending = undefined;
      for (const b of queued) sock.send(b, { binary: true });
    });
    sock.on('message', (data: Buffer) => {
      if (!data.length) return;
      const payload = data.subarray(1);
      // The runtime opens with an empty message on its first channel: nothing to copy.
      if (!payload.length) return;
      switch (data[0]) {
        case 1:
          session.stdout?.write(payload);
          break;
        case 2:
          (session.stderr ?? session.stdout)?.write(payload);
          break;
        case 3:
          status += payload.toString();
          break;
      }
    });
    sock.on('close', () => {
      if (!status.trim()) return finish(successStatus());
      try {
        finish(JSON.parse(status));
      } catch {
        // Pre-v4 runtimes send the error as plain text.
        finish(errorStatus(status.trim()));
      }
    });
    sock.on('error', (err) => {
      finish(errorStatus(`error connecting to the runtime's streaming server: ${err.message}`));
      sock.terminate();
    });
    session.signal.addEventListener('abort', () => sock.close(), { once: true });
  });
}

/**
 * One port-forward connection through the runtime's streaming server: the websocket
 * port-forward protocol (v4.channel.k8s.io, `?port=P`), where channel 0 carries the
 * data and channel 1 errors, each opening with the port as two little-endian bytes.
 * The result is a duplex like a socket; an error the runtime reports destroys it with
 * that message. (No half-close: the pod sees the end only when the connection ends.)
 */
export async function dialRuntimePort(url: string, port: number, o: RelayOptions = {}): Promise<Duplex> {
  const wsUrl = url.replace(/^http/, 'ws') + (url.includes('?') ? '&' : '?') + `port=${port}`;
  const { WebSocket } = await import('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, [WS_V4], { ca: o.ca, handshakeTimeout: o.connectTimeoutMs ?? 10_000 });
    const seen = [false, false];
    let errText = '';
    let opened = false;
    const conn = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        if (ws.readyState !== ws.OPEN) return cb();
        ws.send(Buffer.concat([Buffer.from([0]), chunk]), { binary: true }, () => cb());
      },
      final(cb) {
        cb();
      },
      destroy(err, cb) {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
        cb(err);
      },
    });
    ws.on('open', () => {
      opened = true;
      resolve(conn);
    });
    ws.on('message', (d: Buffer) => {
      const ch = d[0];
      if (ch !== 0 && ch !== 1) return;
      let payload = d.subarray(1);
      if (!seen[ch]) {
        // The opening port number on each channel.
        seen[ch] = true;
        payload = payload.subarray(2);
      }
      if (ch === 0) {
        if (payload.length) conn.push(payload);
      } else errText += payload.toString();
    });
    ws.on('close', () => {
      if (errText.trim()) conn.destroy(new Error(errText.trim()));
      else conn.push(null);
    });
    ws.on('error', (err) => {
      if (!opened) reject(new Error(`error connecting to the runtime's streaming server: ${err.message}`));
      else conn.destroy(err);
    });
  });
}

/**
 * The same relay over SPDY/3.1 (v4.channel.k8s.io), which the runtime's streaming server
 * also speaks and which, unlike websocket v4, can half-close: the client's stdin EOF
 * (v5's close signal, or SPDY FIN) reaches the command (`kubectl exec -i ... < file`,
 * `kubectl cp`). This is the default way the agent relays exec and attach.
 */
export function relayRemoteCommandSpdy(session: RemoteCommandSession, url: string, o: RelayOptions = {}): Promise<void> {
  const u = new URL(url);
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)({
    host: u.hostname,
    port: u.port,
    path: u.pathname + u.search,
    method: 'POST',
    ca: o.ca,
    timeout: o.connectTimeoutMs ?? 10_000,
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': SPDY_V4 },
  } as RequestOptions);
  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = (st: object) => {
      if (finished) return;
      finished = true;
      void session.finish(st).then(resolve, () => resolve());
    };
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => finish(errorStatus(`error connecting to the runtime's streaming server: ${err.message}`)));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => finish(errorStatus(`the runtime's streaming server refused the session (${res.statusCode}): ${body.trim()}`)));
    });
    req.on('upgrade', (_res, sock, head) => {
      const spdy = spdyClientOverSocket(sock, head);
      void (async () => {
        const error = await spdy.open({ streamType: 'error' });
        error.end();
        const stdin = session.stdin ? await spdy.open({ streamType: 'stdin' }) : undefined;
        const stdout = session.stdout ? await spdy.open({ streamType: 'stdout' }) : undefined;
        const stderr = session.stderr ? await spdy.open({ streamType: 'stderr' }) : undefined;
        const resize = session.tty ? await spdy.open({ streamType: 'resize' }) : undefined;
        if (stdin && session.stdin) session.stdin.pipe(stdin);
        if (resize) session.resize.on('resize', (sz) => resize.write(JSON.stringify(sz)));
        const ended = (s?: Duplex) => (s ? new Promise<void>((r) => (s.once('end', () => r()), s.once('close', () => r()))) : Promise.resolve());
        if (stdout) stdout.on('data', (d: Buffer) => session.stdout!.write(d));
        if (stderr) stderr.on('data', (d: Buffer) => session.stderr!.write(d));
        let status = '';
        error.on('data', (d: Buffer) => (status += d));
        await Promise.all([ended(error), ended(stdout), ended(stderr)]);
        spdy.close();
        if (!status.trim()) return finish(successStatus());
        try {
          finish(JSON.parse(status));
        } catch {
          finish(errorStatus(status.trim()));
        }
      })().catch((err) => {
        spdy.close();
        finish(errorStatus(`streaming session with the runtime failed: ${(err as Error).message}`));
      });
      session.signal.addEventListener('abort', () => spdy.close(), { once: true });
    });
    req.end();
  });
}

function spdyClientOverSocket(sock: Duplex, head: Buffer): SpdySession {
  const spdy = new SpdySession((b) => {
    if (!sock.destroyed) sock.write(b);
  });
  sock.on('data', (d: Buffer) => spdy.feed(d));
  sock.on('close', () => spdy.close());
  sock.on('error', () => spdy.close());
  spdy.on('error', () => {});
  spdy.on('close', () => sock.destroy());
  if (head.length) spdy.feed(head);
  return spdy;
}
