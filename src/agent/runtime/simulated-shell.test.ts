import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseCommand, parseScript, runProgram } from './simulated-shell.js';
import { SimulatedRuntime } from './simulated.js';
import type { ContainerStatus } from './types.js';

async function run(argv: string[], o: { stdin?: string; env?: Record<string, string> } = {}) {
  let out = '';
  let err = '';
  const prog = parseCommand(argv);
  assert.ok(prog, `understood: ${argv.join(' ')}`);
  const code = await runProgram(prog, {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    readStdin: o.stdin === undefined ? undefined : async (on) => on(o.stdin!),
    env: o.env ?? {},
    hostname: 'pod-a',
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

test('the tiny shell runs echo, loops, exit codes, variables and stderr redirection', async () => {
  assert.deepEqual(await run(['echo', 'hello', 'world']), { code: 0, out: 'hello world\n', err: '' });
  assert.deepEqual(await run(['sh', '-c', 'exit 3']), { code: 3, out: '', err: '' });
  assert.deepEqual(await run(['sh', '-c', 'for i in 1 2 3; do echo "line $i"; done']), { code: 0, out: 'line 1\nline 2\nline 3\n', err: '' });
  assert.deepEqual(await run(['sh', '-c', 'echo out; echo oops >&2; false || echo recovered && exit 7']), { code: 7, out: 'out\nrecovered\n', err: 'oops\n' });
  assert.deepEqual(await run(['hostname']), { code: 0, out: 'pod-a\n', err: '' });
  assert.deepEqual(await run(['sh', '-c', 'echo $GREETING ${NAME}'], { env: { GREETING: 'hi', NAME: 'you' } }), { code: 0, out: 'hi you\n', err: '' });
  assert.deepEqual(await run(['cat'], { stdin: 'piped\n' }), { code: 0, out: 'piped\n', err: '' });
  assert.deepEqual(await run(['sh', '-c', 'false; echo $?']), { code: 0, out: '1\n', err: '' });
});

test('the tiny shell refuses what it does not understand', () => {
  assert.equal(parseCommand(['nginx', '-g', 'daemon off;']), undefined);
  assert.equal(parseScript('echo a | grep a'), undefined);
  assert.equal(parseScript('python -m http.server'), undefined);
  assert.equal(parseScript('for i in 1 2; do echo $i'), undefined);
  assert.ok(parseScript('while true; do sleep 1; done'));
});

test('simulated containers log their output in CRI format and exit with the script status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-rt-'));
  const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24', logDir: dir });
  try {
    const exited = new Promise<ContainerStatus>((r) => rt.onContainerEvent(r));
    const sb = await rt.runPodSandbox({ podUid: 'u1', namespace: 'ns', name: 'p', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'c', image: 'busybox', command: ['sh', '-c', 'echo one; echo two >&2; exit 4'], podAnnotations: {} });
    await rt.startContainer(id);
    const st = await exited;
    assert.equal(st.exitCode, 4);
    assert.equal(st.logPath, join(dir, 'ns_p_u1', 'c', '0.log'));
    const lines = readFileSync(st.logPath!, 'utf8').trim().split('\n');
    assert.match(lines[0], /Z stdout F one$/);
    assert.match(lines[1], /Z stderr F two$/);
    // The next attempt of the same container writes the next file.
    const id2 = await rt.createContainer(sb.id, { name: 'c', image: 'busybox', command: ['sleep', 'inf'], podAnnotations: {} });
    assert.equal((await rt.containerStatus(id2))!.logPath, join(dir, 'ns_p_u1', 'c', '1.log'));
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulated exec: hostname, cat of stdin, unknown commands refused, exit codes', async () => {
  const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24' });
  try {
    const sb = await rt.runPodSandbox({ podUid: 'u1', namespace: 'ns', name: 'web-0', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'c', image: 'busybox', command: ['sleep', 'inf'], env: [{ name: 'A', value: '1' }], podAnnotations: {} });
    await rt.startContainer(id);
    const exec = async (cmd: string[], stdin?: string) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d) => (text += d));
      let input: PassThrough | undefined;
      if (stdin !== undefined) {
        input = new PassThrough();
        input.end(stdin);
      }
      const code = await rt.execStream(id, cmd, { stdout: out, stderr: out, stdin: input, tty: false, signal: new AbortController().signal });
      return { code, text };
    };
    assert.deepEqual(await exec(['hostname']), { code: 0, text: 'web-0\n' });
    assert.deepEqual(await exec(['cat'], 'abc'), { code: 0, text: 'abc' });
    assert.deepEqual(await exec(['sh', '-c', 'exit 3']), { code: 3, text: '' });
    assert.match((await exec(['env'])).text, /^A=1$/m);
    assert.deepEqual(await exec(['sh'], 'echo hi\nexit 5\n'), { code: 5, text: 'hi\n' });
    await assert.rejects(exec(['nosuchcmd']), /executable file not found/);
  } finally {
    await rt.close();
  }
});

test('simulated attach: output as it is written, stdin to a container that reads it, stdinOnce closes it', async () => {
  const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24' });
  try {
    const exited = new Promise<ContainerStatus>((r) => rt.onContainerEvent(r));
    const sb = await rt.runPodSandbox({ podUid: 'u1', namespace: 'ns', name: 'p', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'c', image: 'busybox', command: ['cat'], stdin: true, stdinOnce: true, podAnnotations: {} });
    await rt.startContainer(id);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const stdin = new PassThrough();
    const attached = rt.attachStream(id, { stdin, stdout: out, tty: false, signal: new AbortController().signal });
    stdin.end('typed into attach\n');
    await attached;
    assert.equal(text, 'typed into attach\n');
    assert.equal((await exited).exitCode, 0);
  } finally {
    await rt.close();
  }
});
