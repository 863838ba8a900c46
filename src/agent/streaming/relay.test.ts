import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { WebSocketServer } from 'ws';
import { dialRuntimePort, relayRemoteCommand, relayRemoteCommandSpdy } from './relay.js';
import { exitStatus, type RemoteCommandSession } from './remote-command.js';

/**
 * A stand-in for containerd's streaming server: websocket, v4.channel.k8s.io, an empty
 * opening message on stdout (as the kubelet streaming library sends), stdin echoed
 * upper-cased on stdout, resizes reported on stderr, and on "exit N" the final status.
 */
async function fakeStreamingServer(): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  wss.on('connection', (ws, req) => {
    paths.push(req.url ?? '');
    ws.send(Buffer.from([1]));
    ws.on('message', (d: Buffer) => {
      const text = d.subarray(1).toString();
      if (d[0] === 4) return ws.send(Buffer.concat([Buffer.from([2]), Buffer.from(`resized ${text}`)]));
      const exit = /^exit (\d+)/.exec(text);
      if (exit) {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(Number(exit[1]), ['sh'])))]));
        return ws.close(1000);
      }
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(text.toUpperCase())]));
    });
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/exec/tok3n`, paths, close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }) };
}

function fakeSession() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const statuses: any[] = [];
  const resize = new EventEmitter();
  const ac = new AbortController();
  const session: RemoteCommandSession = { stdin, stdout, stderr, tty: true, resize, signal: ac.signal, finish: async (s) => void statuses.push(s) };
  return { session, stdin, resize, statuses, out: () => out, err: () => err };
}

test('relay copies stdin, stdout, stderr and resize to a v4 streaming server and returns its status', async () => {
  const fake = await fakeStreamingServer();
  try {
    const s = fakeSession();
    const done = relayRemoteCommand(s.session, fake.url);
    s.stdin.write('hello');
    s.resize.emit('resize', { Width: 80, Height: 24 });
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => s.out() === 'HELLO' && s.err().length > 0);
    assert.equal(s.out(), 'HELLO');
    assert.equal(s.err(), 'resized {"Width":80,"Height":24}');
    s.stdin.write('exit 7');
    await done;
    assert.equal(fake.paths[0], '/exec/tok3n');
    assert.equal(s.statuses.length, 1);
    assert.equal(s.statuses[0].reason, 'NonZeroExitCode');
    assert.deepEqual(s.statuses[0].details.causes, [{ reason: 'ExitCode', message: '7' }]);
  } finally {
    await fake.close();
  }
});

test('relay reports a runtime it cannot reach as a failure status', async () => {
  const s = fakeSession();
  await relayRemoteCommand(s.session, 'http://127.0.0.1:1/exec/x', { connectTimeoutMs: 2000 });
  assert.equal(s.statuses.length, 1);
  assert.equal(s.statuses[0].status, 'Failure');
  assert.match(s.statuses[0].message, /streaming server/);
});

test('relay ends with Success when the runtime closes without a status', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'v4.channel.k8s.io' });
  wss.on('connection', (ws) => {
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('bye\n')]));
    ws.close(1000);
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  try {
    const s = fakeSession();
    await relayRemoteCommand(s.session, `http://127.0.0.1:${(wss.address() as { port: number }).port}/attach/t`);
    assert.equal(s.out(), 'bye\n');
    assert.equal(s.statuses[0].status, 'Success');
  } finally {
    await new Promise((r) => wss.close(r));
  }
});

test('dialRuntimePort speaks the websocket port-forward protocol: port prefixes, data on 0, errors on 1', async () => {
  const urls: string[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  wss.on('connection', (ws, req) => {
    urls.push(req.url ?? '');
    const port = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('port'));
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    ws.send(Buffer.concat([Buffer.from([0]), prefix]));
    ws.send(Buffer.concat([Buffer.from([1]), prefix]));
    ws.on('message', (d: Buffer) => {
      const text = d.subarray(1).toString();
      if (text === 'fail') {
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('boom')]));
        return ws.close(1000);
      }
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(text.toUpperCase())]));
    });
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const url = `http://127.0.0.1:${(wss.address() as { port: number }).port}/portforward/tok`;
  try {
    const conn = await dialRuntimePort(url, 8080);
    const got = new Promise<string>((r) => conn.once('data', (d) => r(d.toString())));
    conn.write('abc');
    assert.equal(await got, 'ABC');
    assert.equal(urls[0], '/portforward/tok?port=8080');
    const failed = await dialRuntimePort(url, 9090);
    const err = new Promise<Error>((r) => failed.once('error', r));
    failed.write('fail');
    assert.equal((await err).message, 'boom');
    conn.destroy();
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
});

test('relay over SPDY: stdin EOF reaches the command (half-close), output and exit status come back', async () => {
  // The runtime's streaming server, SPDY side: the same server code the agent serves kubectl with.
  const { createServer } = await import('node:http');
  const { spdyOverSocket } = await import('./port-forward.js');
  const { spdyRemoteCommand } = await import('./remote-command.js');
  const server = createServer();
  server.on('upgrade', (req, sock, head) => {
    sock.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    void spdyRemoteCommand(spdyOverSocket(sock as any, head), { stdin: true, stdout: true, stderr: true, tty: false, command: ['cat'] }).then(async (rc) => {
      // `cat`: copy stdin to stdout until EOF, then exit 5.
      let n = 0;
      for await (const d of rc.stdin!) {
        n += (d as Buffer).length;
        rc.stdout!.write(d);
      }
      rc.stderr!.write(`read ${n} bytes\n`);
      await rc.finish(exitStatus(5, ['cat']));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const s = fakeSession();
    const done = relayRemoteCommandSpdy(s.session, `http://127.0.0.1:${(server.address() as { port: number }).port}/exec/abc`);
    s.stdin.end('all of stdin');
    await done;
    assert.equal(s.out(), 'all of stdin');
    assert.equal(s.err(), 'read 12 bytes\n');
    assert.equal(s.statuses[0].reason, 'NonZeroExitCode');
    assert.equal(s.statuses[0].details.causes[0].message, '5');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
