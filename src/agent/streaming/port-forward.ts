/**
 * Port-forward over SPDY (portforward.k8s.io), as the kubelet serves it: for every local
 * connection kubectl opens a pair of streams sharing a `requestID` — `streamType: error`
 * and `streamType: data`, both with the target `port`. The agent connects to the port,
 * copies bytes both ways, and closes the error stream when the connection is done
 * (kubectl waits for that); a failure to connect is written to the error stream.
 * The same SPDY session arrives either on a raw SPDY/3.1 upgrade (kubectl ≤ 1.30 and
 * the fallback) or tunnelled in websocket binary messages (subprotocol
 * SPDY/3.1+portforward.k8s.io, kubectl 1.31+).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_WS_TUNNEL = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardTarget {
  /** Opens a connection to the pod's port (a socket, or a runtime's relay); rejects with the reason it cannot. */
  dial(port: number): Promise<Duplex>;
  /** For error messages: "pod NAME, uid UID". */
  describe: string;
}

/** Serves port-forward streams on a SPDY session until it closes. */
export function servePortForward(spdy: SpdySession, target: PortForwardTarget): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; started?: boolean }>();
  spdy.on('stream', (s: SpdyStream) => {
    s.reply();
    s.on('error', () => {});
    const id = s.headers['requestid'] ?? '';
    const type = s.headers['streamtype'];
    const pair = pairs.get(id) ?? {};
    pairs.set(id, pair);
    if (type === 'error') pair.error = s;
    else if (type === 'data') pair.data = s;
    else return s.reset();
    if (!pair.error || !pair.data || pair.started) return;
    pair.started = true;
    const port = Number(s.headers['port']);
    void forward(pair.error, pair.data, port, target).finally(() => pairs.delete(id));
  });
}

async function forward(error: SpdyStream, data: SpdyStream, port: number, target: PortForwardTarget): Promise<void> {
  // The client never writes on the error stream; drain it so its FIN is seen.
  error.resume();
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    error.end(`invalid port ${JSON.stringify(String(port))}`);
    data.end();
    return;
  }
  let sock: Duplex;
  let failure: Error | undefined;
  try {
    sock = await target.dial(port);
  } catch (err) {
    error.end(`error forwarding port ${port} to ${target.describe}: ${(err as Error).message}`);
    data.end();
    return;
  }
  await new Promise<void>((resolve) => {
    let pending = 2;
    const done = () => {
      if (--pending === 0) resolve();
    };
    sock.on('error', (err) => {
      failure = err;
      resolve();
    });
    data.on('data', (d: Buffer) => sock.write(d));
    data.once('end', () => {
      sock.end();
      done();
    });
    data.once('close', () => sock.end());
    sock.on('data', (d) => data.write(d));
    sock.once('end', () => {
      data.end();
      done();
    });
    sock.once('close', () => {
      if (!data.writableEnded) data.end();
      resolve();
    });
  });
  sock.destroy();
  if (!data.writableEnded) data.end();
  if (failure) error.end(`error forwarding port ${port} to ${target.describe}: ${failure.message}`);
  else error.end();
}

/** Carries a SPDY session in websocket binary messages (the port-forward tunnel). */
export function spdyOverWebSocket(ws: WebSocket): SpdySession {
  const spdy = new SpdySession((b) => {
    if (ws.readyState === ws.OPEN) ws.send(b, { binary: true });
  });
  ws.on('message', (d: Buffer) => spdy.feed(Buffer.from(d)));
  ws.on('close', () => spdy.close());
  ws.on('error', () => spdy.close());
  spdy.on('error', () => {});
  spdy.on('close', () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  return spdy;
}

/** A SPDY session straight on an upgraded socket. */
export function spdyOverSocket(sock: Socket, head?: Buffer): SpdySession {
  const spdy = new SpdySession((b) => {
    if (!sock.destroyed) sock.write(b);
  });
  sock.on('data', (d) => spdy.feed(d));
  sock.on('end', () => spdy.close());
  sock.on('close', () => spdy.close());
  sock.on('error', () => spdy.close());
  spdy.on('error', () => {});
  spdy.on('close', () => sock.end());
  if (head?.length) spdy.feed(head);
  return spdy;
}

/**
 * The older websocket port-forward (what @kubernetes/client-node and other websocket
 * clients speak, subprotocol v4/v5.channel.k8s.io with `?port=P`): port i gets channel
 * 2i for data and 2i+1 for errors, each opening with the port as two little-endian
 * bytes; one connection per port for the life of the websocket. With v5, [255, 2i]
 * half-closes the connection to port i.
 */
export function serveChannelPortForward(ws: WebSocket, protocol: string, ports: number[], target: PortForwardTarget): void {
  const send = (ch: number, b: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(b)]), { binary: true });
  };
  const conns: (Duplex | undefined)[] = [];
  const queued: Buffer[][] = ports.map(() => []);
  const halfClosed = ports.map(() => false);
  ports.forEach((port, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    send(2 * i, prefix);
    send(2 * i + 1, prefix);
    target.dial(port).then(
      (sock) => {
        if (ws.readyState !== ws.OPEN) return void sock.destroy();
        conns[i] = sock;
        for (const b of queued[i]) sock.write(b);
        if (halfClosed[i]) sock.end();
        sock.on('data', (d: Buffer) => send(2 * i, d));
        sock.on('error', (err) => {
          send(2 * i + 1, `error forwarding port ${port} to ${target.describe}: ${err.message}`);
          ws.close(1000);
        });
        sock.on('close', () => ws.close(1000));
      },
      (err) => {
        send(2 * i + 1, `error forwarding port ${port} to ${target.describe}: ${(err as Error).message}`);
        ws.close(1000);
      },
    );
  });
  ws.on('message', (d: Buffer) => {
    if (!d.length) return;
    const ch = d[0];
    if (ch === 255 && protocol === 'v5.channel.k8s.io') {
      const i = d[1] / 2;
      if (!Number.isInteger(i) || i >= ports.length) return;
      halfClosed[i] = true;
      conns[i]?.end();
      return;
    }
    if (ch % 2 !== 0 || ch / 2 >= ports.length) return;
    const i = ch / 2;
    const payload = Buffer.from(d.subarray(1));
    if (conns[i]) conns[i]!.write(payload);
    else queued[i].push(payload);
  });
  ws.on('close', () => {
    for (const c of conns) c?.destroy();
  });
}
