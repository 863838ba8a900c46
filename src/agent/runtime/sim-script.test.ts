import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execScript, planScript, SimFiles, statements } from './sim-script.js';
import { SimulatedRuntime } from './simulated.js';

describe('simulated shell', () => {
  it('splits statements with quotes and operators', () => {
    const s = statements(`touch /tmp/a; echo 'a; b' > /tmp/b && rm -f /tmp/a || true`);
    assert.deepEqual(
      s.map((x) => [x.join, x.words.join(' '), x.redirect?.path]),
      [
        [';', 'touch /tmp/a', undefined],
        [';', 'echo a; b', '/tmp/b'],
        ['&&', 'rm -f /tmp/a', undefined],
        ['||', 'true', undefined],
      ],
    );
  });
  it("plans the docs' liveness example as a file timeline", () => {
    const p = planScript(['/bin/sh', '-c', 'touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600'])!;
    assert.equal(p.exitCode, 0);
    assert.equal(p.durationMs, 630_000);
    assert.deepEqual(p.files, [
      { atMs: 0, path: '/tmp/healthy', content: '' },
      { atMs: 30_000, path: '/tmp/healthy', content: undefined },
    ]);
    assert.equal(planScript(['sh', '-c', 'touch /x; sleep inf'])!.exitCode, undefined);
    assert.equal(planScript(['sh', '-c', 'trap "" TERM; sleep 3600'])!.ignoresSigterm, true);
    assert.equal(planScript(['sh', '-c', 'while true; do sleep 1; done']), undefined);
  });
  it('runs exec commands against the files', () => {
    const f = new SimFiles();
    f.write('/tmp/healthy', '', 100);
    assert.equal(execScript(['cat', '/tmp/healthy'], f, 150).exitCode, 0);
    const miss = execScript(['cat', '/tmp/healthy'], f, 50);
    assert.equal(miss.exitCode, 1);
    assert.equal(miss.stderr, "cat: can't open '/tmp/healthy': No such file or directory\n");
    assert.equal(execScript(['test', '-e', '/tmp/healthy'], f, 150).exitCode, 0);
    assert.equal(execScript(['sh', '-c', 'rm /tmp/healthy'], f, 200).exitCode, 0);
    assert.equal(execScript(['[', '-f', '/tmp/healthy', ']'], f, 250).exitCode, 1);
    assert.equal(execScript(['sh', '-c', 'test -e /nope || exit 7'], f, 250).exitCode, 7);
    assert.equal(execScript(['sh', '-c', 'echo hi > /tmp/x && cat /tmp/x'], f, 300).stdout, 'hi\n');
    assert.equal(execScript(['pg_isready'], f, 300).exitCode, 0, 'unknown tools succeed');
  });
  it('execSync sees the container command change its files over time, and TERM traps wait for SIGKILL', async () => {
    const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24' });
    const sb = await rt.runPodSandbox({ podUid: 'u', namespace: 'd', name: 'p', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'c', image: 'busybox', command: ['sh', '-c', 'touch /tmp/ok; sleep 0.3; rm -f /tmp/ok; trap "" TERM; sleep 600'], podAnnotations: {} });
    await rt.startContainer(id);
    assert.equal((await rt.execSync(id, ['cat', '/tmp/ok'], 1)).exitCode, 0);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await rt.execSync(id, ['cat', '/tmp/ok'], 1)).exitCode, 1);
    await assert.rejects(rt.execSync(id, ['sleep', '5'], 0.1), (e: any) => e.timedOut === true);
    const t0 = Date.now();
    await rt.stopContainer(id, 0.2);
    assert.ok(Date.now() - t0 >= 150, 'SIGTERM is ignored until the grace period ends');
    const st = await rt.containerStatus(id);
    assert.equal(st?.exitCode, 137);
    assert.deepEqual(
      rt.history.map((h) => h.op),
      ['start', 'exec', 'exec', 'exec', 'sigterm', 'sigkill', 'exit'],
    );
    await rt.close();
  });
});
