/**
 * The remotecommand protocol of exec and attach, server side, over both transports
 * kubectl uses:
 *  - WebSocket (kubectl 1.30+): subprotocol v5.channel.k8s.io (or v4). Every binary
 *    message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 error (a
 *    metav1.Status as JSON, written once at the end), 4 resize ({"Width":..,"Height":..}).
 *    v5 adds 255: [255, channel] half-closes a channel (stdin EOF).
 *  - SPDY/3.1 (kubectl 1.27-1.29, and the fallback of newer ones): the client opens one
 *    stream per channel with a `streamType` header (error, stdin, stdout, stderr, resize)
 *    under protocol v4.channel.k8s.io; FIN ends a stream.
 * The command's end is reported on the error channel: Success, or Failure with reason
 * NonZeroExitCode and the exit code as the cause `ExitCode` (kubectl exits with it).
 */
import { EventEmitter } from 'node:events';
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SpdySession, SpdyStream } from './spdy.js';

export const WS_V5 = 'v5.channel.k8s.io';
export const WS_V4 = 'v4.channel.k8s.io';
export const SPDY_PROTOCOL_V4 = 'v4.channel.k8s.io';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  command: string[];
}

export interface TerminalSize {
  Width: number;
  Height: number;
}

export interface RemoteCommandSession {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  /** 'resize' events with a TerminalSize. */
  resize: EventEmitter;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Flushes output, writes the final status on the error channel and closes. */
  finish(status: object): Promise<void>;
}

const flag = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';

export function remoteCommandOptions(q: URLSearchParams): RemoteCommandOptions {
  const tty = flag(q, 'tty');
  return { stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr') && !tty, tty, command: q.getAll('command') };
}

export const successStatus = () => ({ metadata: {}, status: 'Success' });

/** The status the kubelet reports for a command that exited non-zero. */
export function exitStatus(code: number, cmd: string[]): object {
  if (code === 0) return successStatus();
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function errorStatus(message: string): object {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500, details: { causes: [{ message }] } };
}

function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', () => resolve());
    w.once('close', () => resolve());
    w.once('error', () => resolve());
    w.end();
  });
}

/** Parses a stream of concatenated JSON objects (the resize channel). */
function jsonObjects(onObject: (o: any) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString();
    let depth = 0;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] === '{') depth++;
      else if (buf[i] === '}' && --depth === 0) {
        try {
          onObject(JSON.parse(buf.slice(start, i + 1)));
        } catch {
          /* ignore a malformed size */
        }
        start = i + 1;
      }
    }
    buf = buf.slice(start);
  };
}

/** A session over an accepted websocket (protocol v5 or v4 channel framing). */
export function wsRemoteCommand(ws: WebSocket, protocol: string, o: RemoteCommandOptions): RemoteCommandSession {
  const ac = new AbortController();
  const resize = new EventEmitter();
  const stdin = o.stdin ? new PassThrough() : undefined;
  const channelWriter = (ch: number) =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        if (ws.readyState !== ws.OPEN) return cb();
        ws.send(Buffer.concat([Buffer.from([ch]), chunk]), { binary: true }, () => cb());
      },
    });
  const stdout = o.stdout ? channelWriter(1) : undefined;
  const stderr = o.stderr ? channelWriter(2) : undefined;
  const onResize = jsonObjects((s) => resize.emit('resize', s));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const ch = data[0];
    const payload = data.subarray(1);
    if (ch === 0) stdin?.write(payload);
    else if (ch === 4) onResize(payload);
    else if (ch === 255 && protocol === WS_V5 && payload[0] === 0) stdin?.end();
  });
  ws.on('close', () => {
    stdin?.end();
    ac.abort();
  });
  ws.on('error', () => ac.abort());
  return {
    stdin,
    stdout,
    stderr,
    tty: o.tty,
    resize,
    signal: ac.signal,
    async finish(status) {
      await Promise.all([endWritable(stdout), endWritable(stderr)]);
      if (ws.readyState === ws.OPEN) {
        await new Promise<void>((r) => ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]), { binary: true }, () => r()));
        ws.close(1000);
      }
    },
  };
}

/**
 * A session over a SPDY connection: waits (up to timeoutMs) for the streams the options
 * call for, answering each, then resolves.
 */
export function spdyRemoteCommand(spdy: SpdySession, o: RemoteCommandOptions, timeoutMs = 30_000): Promise<RemoteCommandSession> {
  const want = new Set(['error', ...(o.stdin ? ['stdin'] : []), ...(o.stdout ? ['stdout'] : []), ...(o.stderr ? ['stderr'] : [])]);
  const got = new Map<string, SpdyStream>();
  const ac = new AbortController();
  const resize = new EventEmitter();
  spdy.on('close', () => ac.abort());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      spdy.close();
      reject(new Error(`timed out waiting for client streams (have ${[...got.keys()].join(', ') || 'none'})`));
    }, timeoutMs);
    const onStream = (s: SpdyStream) => {
      const type = s.headers['streamtype'];
      s.reply();
      s.on('error', () => {});
      if (type === 'resize') s.on('data', jsonObjects((sz) => resize.emit('resize', sz)));
      if (!type || got.has(type)) return;
      got.set(type, s);
      if ([...want].every((t) => got.has(t))) {
        clearTimeout(timer);
        const stdout = got.get('stdout');
        const stderr = got.get('stderr');
        const error = got.get('error')!;
        resolve({
          stdin: got.get('stdin'),
          stdout,
          stderr,
          tty: o.tty,
          resize,
          signal: ac.signal,
          async finish(status) {
            await Promise.all([endWritable(stdout), endWritable(stderr)]);
            error.write(Buffer.from(JSON.stringify(status)));
            await endWritable(error);
            // Let the client read the FINs before the connection goes.
            setTimeout(() => spdy.close(), 100).unref();
          },
        });
      }
    };
    spdy.on('stream', onStream);
  });
}
