/**
 * Streaming end to end with the real kubectl against `skiff server --simulated-nodes 1`:
 * logs (tail, timestamps, -c, --previous after a restart, -f until the container
 * exits), the API's log validation and container errors, exec (hostname, exit codes,
 * stdin, over websockets v5 and over SPDY with kubectl 1.27), attach, and port-forward
 * moving bytes through the websocket tunnel (and SPDY with kubectl 1.27).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { Cluster, kubectlVersion } from './cluster.js';

function podYaml(name: string, containers: { name: string; script: string }[], restartPolicy = 'Always'): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: ${restartPolicy}
  containers:
${containers.map((c) => `  - name: ${c.name}\n    image: busybox:1.36\n    command: ["sh", "-c", ${JSON.stringify(c.script)}]`).join('\n')}
`;
}

/** Runs kubectl until its output satisfies done (bounded), then stops it. */
function kubectlUntil(c: Cluster, args: string[], done: (out: string) => boolean, o: { bin?: string; timeoutMs?: number } = {}): { proc: ChildProcess; result: Promise<string>; output: () => string } {
  const proc = spawn(o.bin ?? 'kubectl', ['--kubeconfig', c.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const result = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')}: timed out; output so far:\n${out}`));
    }, o.timeoutMs ?? 30_000);
    const check = (d: Buffer) => {
      out += d;
      if (done(out)) {
        clearTimeout(t);
        resolve(out);
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.on('close', () => {
      clearTimeout(t);
      if (!done(out)) reject(new Error(`kubectl ${args.join(' ')} ended early:\n${out}`));
    });
  });
  return { proc, result, output: () => out };
}

function hasScript(): boolean {
  return spawnSync('sh', ['-c', 'command -v script']).status === 0;
}

/** A TCP echo server on loopback (what a simulated pod's port reaches). */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** Sends data through a local port and reads the same number of bytes back. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(data));
    const got: Buffer[] = [];
    let n = 0;
    s.on('data', (d) => {
      got.push(d);
      n += d.length;
      if (n >= data.length) {
        s.end();
        resolve(Buffer.concat(got));
      }
    });
    s.on('error', reject);
  });
}

describe('streaming: logs, exec, attach, port-forward', { timeout: 240_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.k(['apply', '-f', '-'], {
      input: [
        podYaml('talker', [
          { name: 'main', script: 'echo hello; echo oops >&2; echo third; sleep inf' },
          { name: 'side', script: 'echo from-side; sleep inf' },
        ]),
        podYaml('ticker', [{ name: 'c', script: 'while true; do echo tick; sleep 1; done' }]),
      ].join('---\n'),
    });
    await c.until('pods running', async () => {
      const l = await c.getJson('/api/v1/namespaces/default/pods');
      return l.items.length === 2 && l.items.every((p: any) => p.status?.phase === 'Running');
    });
  });
  after(async () => {
    await c?.destroy();
  });

  it('kubectl logs prints stdout and stderr lines; --tail, --timestamps, -c, --limit-bytes', async () => {
    assert.equal(await c.k(['logs', 'talker', '-c', 'main']), 'hello\noops\nthird\n');
    assert.equal(await c.k(['logs', 'talker', '-c', 'side']), 'from-side\n');
    assert.equal(await c.k(['logs', 'talker', '-c', 'main', '--tail=1']), 'third\n');
    assert.equal(await c.k(['logs', 'talker', '-c', 'main', '--limit-bytes=8']), 'hello\noo');
    const ts = (await c.k(['logs', 'talker', '-c', 'main', '--timestamps'])).trim().split('\n');
    assert.equal(ts.length, 3);
    for (const l of ts) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (hello|oops|third)$/);
    // --since-time after everything was written leaves nothing.
    const later = new Date(Date.now() + 1000).toISOString();
    assert.equal(await c.k(['logs', 'talker', '-c', 'main', `--since-time=${later}`]), '');
    assert.equal(await c.k(['logs', 'talker', '-c', 'main', '--since=1h']), 'hello\noops\nthird\n');
    // kubectl walks --all-containers requests out of a Go map: containers come in any order,
    // each one's lines together and in order.
    const all = await c.k(['logs', 'talker', '--all-containers', '--prefix']);
    const main = '[pod/talker/main] hello\n[pod/talker/main] oops\n[pod/talker/main] third\n';
    const side = '[pod/talker/side] from-side\n';
    assert.ok(all === main + side || all === side + main, all);
    // kubectl picks the first container when none is named (and says so).
    const r = await c.kubectl(['logs', 'talker']);
    assert.equal(r.stdout, 'hello\noops\nthird\n');
    assert.match(r.stderr, /Defaulted container "main" out of: main, side/);
  });

  it('the log API defaults and validates like upstream', async () => {
    const none = await c.raw('GET', '/api/v1/namespaces/default/pods/talker/log');
    assert.equal(none.code, 400);
    assert.equal(none.json.message, 'a container name must be specified for pod talker, choose one of: [main side]');
    const bad = await c.raw('GET', '/api/v1/namespaces/default/pods/talker/log?container=nope');
    assert.equal(bad.code, 400);
    assert.equal(bad.json.reason, 'BadRequest');
    assert.equal(bad.json.message, 'container nope is not valid for pod talker');
    const tail = await c.raw('GET', '/api/v1/namespaces/default/pods/talker/log?container=main&tailLines=-1');
    assert.equal(tail.code, 422);
    assert.equal(tail.json.details.causes[0].field, 'tailLines');
    const both = await c.raw('GET', `/api/v1/namespaces/default/pods/talker/log?container=main&sinceSeconds=5&sinceTime=${encodeURIComponent('2024-01-01T00:00:00Z')}`);
    assert.equal(both.code, 422);
    assert.match(both.json.message, /at most one of `sinceTime` or `sinceSeconds` may be specified/);
    const single = await c.raw('GET', '/api/v1/namespaces/default/pods/ticker/log?tailLines=1');
    assert.equal(single.code, 200);
    assert.equal(single.body, 'tick\n');
    const missing = await c.raw('GET', '/api/v1/namespaces/default/pods/nosuchpod/log');
    assert.equal(missing.code, 404);
  });

  it('kubectl logs -f follows new lines and ends when the container exits', async () => {
    await c.k(['apply', '-f', '-'], { input: podYaml('counter', [{ name: 'c', script: 'echo n 1; sleep 1; echo n 2; sleep 1; echo n 3; sleep 1; echo n 4' }], 'Never') });
    await c.until('counter running', async () => (await c.getJson('/api/v1/namespaces/default/pods/counter')).status?.phase === 'Running');
    const r = await c.kubectl(['logs', '-f', 'counter'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'n 1\nn 2\nn 3\nn 4\n');
    // It ended by itself (no timeout): the container exited, as its status soon shows.
    await c.until('counter terminated', async () => (await c.getJson('/api/v1/namespaces/default/pods/counter')).status?.containerStatuses?.[0]?.state?.terminated);
  });

  it('kubectl logs --previous shows the last attempt after a restart', async () => {
    await c.k(['apply', '-f', '-'], { input: podYaml('crasher', [{ name: 'c', script: 'echo up; sleep 4; exit 2' }]) });
    await c.until('crasher running', async () => (await c.getJson('/api/v1/namespaces/default/pods/crasher')).status?.containerStatuses?.[0]?.state?.running);
    const none = await c.kubectl(['logs', 'crasher', '--previous']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /previous terminated container "c" in pod "crasher" not found/);
    await c.until('crasher restarted', async () => {
      const p = await c.getJson('/api/v1/namespaces/default/pods/crasher');
      return p.status?.containerStatuses?.[0]?.restartCount >= 1;
    });
    const prev = (await c.k(['logs', 'crasher', '--previous', '--timestamps'])).trim().split('\n');
    assert.equal(prev.length, 1);
    assert.match(prev[0], / up$/);
    const cur = (await c.k(['logs', 'crasher', '--timestamps'])).trim().split('\n');
    assert.match(cur[0], / up$/);
    // Two attempts, two files: the current one was written after the previous.
    assert.ok(cur[0].split(' ')[0] > prev[0].split(' ')[0], `${cur[0]} after ${prev[0]}`);
  });

  it('kubectl exec runs commands over websockets: hostname, exit codes, stdin', async () => {
    assert.equal(await c.k(['exec', 'talker', '-c', 'main', '--', 'hostname']), 'talker\n');
    const three = await c.kubectl(['exec', 'talker', '-c', 'main', '--', 'sh', '-c', 'exit 3']);
    assert.equal(three.code, 3);
    assert.match(three.stderr, /command terminated with exit code 3/);
    const err = await c.kubectl(['exec', 'talker', '-c', 'main', '--', 'sh', '-c', 'echo to-out; echo to-err >&2']);
    assert.equal(err.code, 0);
    assert.equal(err.stdout, 'to-out\n');
    assert.equal(err.stderr, 'to-err\n');
    const piped = await c.kubectl(['exec', '-i', 'talker', '-c', 'main', '--', 'cat'], { input: 'line one\nline two\n' });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'line one\nline two\n');
    const v = await c.kubectl(['exec', 'talker', '-c', 'main', '-v=6', '--', 'true']);
    assert.match(v.stderr, /subprotocol is v5\.channel\.k8s\.io/);
  });

  it('kubectl exec -it: a terminal session with resize, typed commands and the exit code', { skip: !hasScript() && 'script(1) not installed' }, async () => {
    // script(1) gives kubectl a pseudo-terminal, so it asks for a TTY and sends keystrokes raw.
    const p = spawn('script', ['-qec', `kubectl --kubeconfig ${c.kubeconfig} exec -it talker -c main -- sh`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const t = setTimeout(() => (p.kill('SIGKILL'), reject(new Error(`exec -it timed out:\n${out}`))), 30_000);
      p.on('close', (code) => (clearTimeout(t), resolve(code)));
      // Wait for the shell's prompt before typing, as a person would.
      const typeWhenReady = () => {
        if (!out.includes('/ # ')) return void setTimeout(typeWhenReady, 50);
        p.stdin.write('echo typed text\r');
        p.stdin.write('hostname\r');
        p.stdin.write('exit 3\r');
      };
      typeWhenReady();
    });
    assert.equal(code, 3, out);
    assert.match(out, /typed text\r\n/);
    assert.match(out, /talker\r\n/);
  });

  it('exec errors: unknown container, unknown command, pod not running', async () => {
    const bad = await c.kubectl(['exec', 'talker', '-c', 'nope', '--', 'hostname']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod talker/);
    const cmd = await c.kubectl(['exec', 'talker', '-c', 'main', '--', 'no-such-binary']);
    assert.notEqual(cmd.code, 0);
    assert.match(cmd.stderr, /executable file not found in \$PATH/);
    await c.k(['apply', '-f', '-'], { input: podYaml('nowhere', [{ name: 'c', script: 'sleep inf' }]).replace('spec:\n', 'spec:\n  nodeSelector: {absent: label}\n') });
    const pending = await c.kubectl(['exec', 'nowhere', '--', 'hostname']);
    assert.notEqual(pending.code, 0);
    assert.match(pending.stderr, /pod nowhere does not have a host assigned/);
    await c.until('counter completed', async () => (await c.getJson('/api/v1/namespaces/default/pods/counter')).status?.phase === 'Succeeded', 60_000);
    const done = await c.kubectl(['exec', 'counter', '--', 'hostname']);
    assert.notEqual(done.code, 0);
    assert.match(done.stderr, /cannot exec into a container in a completed pod; current phase is Succeeded/);
  });

  it('kubectl attach streams the running container output', async () => {
    const { proc, result } = kubectlUntil(c, ['attach', 'ticker'], (out) => /tick\n/.test(out));
    try {
      assert.match(await result, /tick/);
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('kubectl port-forward moves bytes both ways (websocket tunnel)', async () => {
    const echo = await echoServer();
    const { proc, result, output } = kubectlUntil(c, ['port-forward', 'pod/talker', `:${echo.port}`, '-v=6'], (out) => /Forwarding from 127\.0\.0\.1:\d+/.test(out));
    try {
      const out = await result;
      const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const data = Buffer.alloc(256 * 1024, 'x');
      data.write('start of a quarter megabyte');
      assert.ok((await roundTrip(local, data)).equals(data));
      assert.equal((await roundTrip(local, Buffer.from('second connection'))).toString(), 'second connection');
      // kubectl 1.32 tunnels SPDY through a websocket and did not fall back to plain SPDY.
      assert.match(output(), /GET https:\/\/\S+\/portforward 101 Switching Protocols/);
      assert.doesNotMatch(output(), /fallback to secondary dialer/);
    } finally {
      proc.kill('SIGKILL');
      echo.server.close();
    }
  });

  it('@kubernetes/client-node: Exec (websocket), Log, PortForward (channel websocket)', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const status = await new Promise<any>((resolve, reject) => {
      new k8s.Exec(kc).exec('default', 'talker', 'main', ['sh', '-c', 'hostname; exit 2'], out, null, null, false, resolve).catch(reject);
    });
    assert.equal(text, 'talker\n');
    assert.equal(status.reason, 'NonZeroExitCode');
    const logs = new PassThrough();
    let logText = '';
    logs.on('data', (d) => (logText += d));
    await new k8s.Log(kc).log('default', 'talker', 'main', logs, { tailLines: 1 });
    await c.until('log text', async () => logText === 'third\n');
    const echo = await echoServer();
    const pf = new k8s.PortForward(kc);
    const local = createServer((sock) => void pf.portForward('default', 'talker', [echo.port], sock, null, sock));
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const port = (local.address() as { port: number }).port;
      assert.equal((await roundTrip(port, Buffer.from('through client-node'))).toString(), 'through client-node');
    } finally {
      local.close();
      echo.server.close();
    }
  });

  it('kubectl 1.27 (SPDY only): exec with exit codes and stdin, and port-forward', { skip: !kubectlVersion(27) && 'kubectl.1.27 not installed' }, async () => {
    const bin = kubectlVersion(27)!;
    assert.equal(await c.k(['exec', 'talker', '-c', 'main', '--', 'hostname'], { bin }), 'talker\n');
    const four = await c.kubectl(['exec', 'talker', '-c', 'main', '--', 'sh', '-c', 'exit 4'], { bin });
    assert.equal(four.code, 4);
    const piped = await c.kubectl(['exec', '-i', 'talker', '-c', 'main', '--', 'cat'], { bin, input: 'over spdy\n' });
    assert.equal(piped.stdout, 'over spdy\n');
    const echo = await echoServer();
    const { proc, result } = kubectlUntil(c, ['port-forward', 'pod/talker', `:${echo.port}`], (out) => /Forwarding from 127\.0\.0\.1:\d+/.test(out), { bin });
    try {
      const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(await result)![1]);
      assert.equal((await roundTrip(local, Buffer.from('spdy bytes'))).toString(), 'spdy bytes');
    } finally {
      proc.kill('SIGKILL');
      echo.server.close();
    }
  });
});

describe('streaming to an agent in its own process (skiff agent --server --token)', { timeout: 120_000 }, () => {
  let c: Cluster;
  let agent: ChildProcess | undefined;
  before(async () => {
    c = await Cluster.start(['--token', 'e2e-stream-token']);
    const bin = new URL('../../../bin/skiff.js', import.meta.url).pathname;
    agent = spawn(process.execPath, [bin, 'agent', '--simulated', '--server', c.url, '--token', 'e2e-stream-token', '--node-name', 'remote'], { stdio: 'ignore' });
    await c.until('remote node ready with its streaming port', async () => {
      const n = await c.getJson('/api/v1/nodes/remote-0');
      return n.status?.daemonEndpoints?.kubeletEndpoint?.Port !== 10250 && n.spec?.podCIDR;
    });
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await c?.destroy();
  });

  it('logs and exec reach the remote agent with a serving certificate from the cluster CA', async () => {
    await c.k(['apply', '-f', '-'], { input: podYaml('far', [{ name: 'c', script: 'echo from afar; sleep inf' }]) });
    await c.until('far running', async () => (await c.getJson('/api/v1/namespaces/default/pods/far')).status?.phase === 'Running');
    assert.equal(await c.k(['logs', 'far']), 'from afar\n');
    assert.equal(await c.k(['exec', 'far', '--', 'hostname']), 'far\n');
  });

  it('only cluster administrators get node serving certificates', async () => {
    const r = await c.raw('POST', '/v1-skiff/serving-kubelet.crt', { body: JSON.stringify({ nodeName: 'x' }), anonymous: true });
    assert.equal(r.code, 401);
  });
});
