/**
 * Streaming on real pods (containerd): kubectl logs (also --previous and -f), exec
 * (hostname, exit code, stdin with EOF through the agent's SPDY relay to containerd's
 * streaming server), and port-forward to a server in the pod through containerd's
 * websocket port-forward, inside a private network namespace.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Cluster, kubectlVersion } from './cluster.js';
import { realNodeSuite } from '../cri-node.js';

const NODE = 'node1';
const NODE_IP = '192.168.77.1';
const IMAGE = 'skiff.local/busybox:latest';
const pod = (name: string, command: string[], extra: any = {}) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...extra, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command }] } });

realNodeSuite('streaming on real pods', { file: import.meta.url, nodeIp: NODE_IP, node: NODE, dataDirPrefix: 'skiff-cri-stream-', outerTimeoutMs: 400_000, innerTimeoutMs: 300_000 }, (env) => {
  let c: Cluster;
  const dataDir = env.dataDir;
  const running = (name: string) => c.until(`${name} running`, async () => (await c.getJson(`/api/v1/namespaces/default/pods/${name}`)).status?.phase === 'Running', 90_000);
  before(() => {
    c = env.c;
  });

  it('logs, exec (hostname, exit code, stdin to EOF) on a containerd pod', async () => {
    await c.k(['apply', '-f', '-'], { input: pod('shell', ['sh', '-c', 'echo first; echo second >&2; exec sleep 3600']) });
    await running('shell');
    // Both lines, once the container has written them (Running comes at start).
    // stdout and stderr reach the log through separate pipes, so their order in the file is
    // the order containerd read them in, not necessarily the order they were written.
    let all = '';
    await c.until('both lines logged', async () => (all = (await c.kubectl(['logs', 'shell'])).stdout).split('\n').filter(Boolean).sort().join(',') === 'first,second');
    assert.equal(await c.k(['logs', 'shell', '--tail=1']), all.split('\n')[1] + '\n');
    assert.equal(await c.k(['exec', 'shell', '--', 'hostname']), 'shell\n');
    const three = await c.kubectl(['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
    assert.equal(three.code, 3, three.stderr);
    // wc only answers once its stdin ends: the client's EOF must reach the container.
    const wc = await c.kubectl(['exec', '-i', 'shell', '--', 'wc', '-c'], { input: 'twelve bytes', timeoutMs: 30_000 });
    assert.equal(wc.code, 0, wc.stderr);
    assert.equal(wc.stdout.trim(), '12');
  });

  it('exec -it (a terminal through containerd) and kubectl 1.27 over SPDY', async () => {
    const old = kubectlVersion(27);
    if (old) {
      assert.equal(await c.k(['exec', 'shell', '--', 'hostname'], { bin: old }), 'shell\n');
      const wc = await c.kubectl(['exec', '-i', 'shell', '--', 'wc', '-c'], { bin: old, input: 'abc' });
      assert.equal(wc.stdout.trim(), '3');
    }
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0) return;
    const p = spawn('script', ['-qec', `kubectl --kubeconfig ${c.kubeconfig} exec -it shell -- sh`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const t = setTimeout(() => (p.kill('SIGKILL'), reject(new Error(`exec -it timed out:\n${out}`))), 30_000);
      p.on('close', (code) => (clearTimeout(t), resolve(code)));
      const typeWhenReady = () => {
        // busybox's prompt is "/ # " followed by a cursor-position query.
        if (!out.includes('/ # ')) return void setTimeout(typeWhenReady, 50);
        p.stdin.write('echo tty-$((6*7))\r');
        p.stdin.write('exit 4\r');
      };
      typeWhenReady();
    });
    assert.equal(code, 4, out);
    assert.match(out, /tty-42/);
  });

  it('kubectl attach shows what the container prints', async () => {
    await c.k(['apply', '-f', '-'], { input: pod('ticker', ['sh', '-c', 'while true; do echo tick; sleep 0.5; done']) });
    await running('ticker');
    const p = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'attach', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let got = '';
        const t = setTimeout(() => reject(new Error(`no output attached: ${got}`)), 30_000);
        p.stdout.on('data', (d) => {
          got += d;
          if (got.includes('tick\n')) {
            clearTimeout(t);
            resolve(got);
          }
        });
      });
      assert.match(out, /tick/);
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('kubectl cp both ways (tar over exec: stdin EOF and stdout through the relay)', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const local = join(dataDir, 'cp-in.txt');
    writeFileSync(local, 'copied into the pod\n'.repeat(1000));
    const up = await c.kubectl(['cp', local, 'shell:/tmp/in.txt'], { timeoutMs: 60_000 });
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await c.k(['exec', 'shell', '--', 'wc', '-l', '/tmp/in.txt'])).trim(), '1000 /tmp/in.txt');
    const back = join(dataDir, 'cp-out.txt');
    const down = await c.kubectl(['cp', 'shell:/tmp/in.txt', back], { timeoutMs: 60_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(back, 'utf8'), readFileSync(local, 'utf8'));
  });

  it('logs -f ends when the container exits; --previous after a restart', async () => {
    await c.k(['apply', '-f', '-'], { input: pod('count', ['sh', '-c', 'for i in 1 2 3; do echo n $i; sleep 1; done'], { restartPolicy: 'Never' }) });
    await running('count');
    const f = await c.kubectl(['logs', '-f', 'count'], { timeoutMs: 60_000 });
    assert.equal(f.stdout, 'n 1\nn 2\nn 3\n');
    await c.k(['apply', '-f', '-'], { input: pod('crash', ['sh', '-c', 'echo attempt; sleep 1; exit 1']) });
    await c.until('crash restarted', async () => (await c.getJson('/api/v1/namespaces/default/pods/crash')).status?.containerStatuses?.[0]?.restartCount >= 1, 90_000);
    assert.equal(await c.k(['logs', 'crash', '--previous']), 'attempt\n');
  });

  it('port-forward reaches a server in the pod through containerd', async () => {
    await c.k(['apply', '-f', '-'], { input: pod('web', ['sh', '-c', 'mkdir -p /www && echo hello-pf > /www/index.html && exec httpd -f -p 8080 -h /www']) });
    await running('web');
    const pf = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'port-forward', 'pod/web', ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const local = await new Promise<number>((resolve, reject) => {
        let out = '';
        pf.stdout.on('data', (d) => {
          out += d;
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        pf.on('close', () => reject(new Error(out)));
      });
      const body = await c.until('an answer through the forward', () =>
        new Promise<string | undefined>((resolve) => {
          const s = connect(local, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\n\r\n'));
          let got = '';
          s.on('data', (d) => (got += d));
          s.on('close', () => resolve(got.includes('hello-pf') ? got : undefined));
          s.on('error', () => resolve(undefined));
          setTimeout(() => s.destroy(), 5000);
        }),
      );
      assert.match(body, /200 OK[\s\S]*hello-pf/);
    } finally {
      pf.kill('SIGKILL');
    }
  });
});
