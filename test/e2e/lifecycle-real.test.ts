/**
 * The pod lifecycle on real containers (containerd + runc), with the real kubectl:
 * liveness probes (exec, httpGet against busybox httpd in the pod) that restart only the
 * container, readiness probes (exec failing, tcpSocket passing) that only flip Ready, a
 * startup probe holding back liveness, an init container handing a file to the app
 * through an emptyDir, postStart and preStop hooks, the grace period of a container that
 * ignores SIGTERM, and crash-loop back-off with its growing delays (immediate, 10 s,
 * 20 s, as upstream's kubelet).
 *
 * Every pod is created up front so their clocks run together and the suite takes about
 * a minute of waiting; containers report what needs timing (start times, the order of
 * preStop and SIGTERM) into a hostPath directory of the suite. It re-runs itself inside
 * a fresh network namespace (`unshare --net`) as the other real-node suites do.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { realNodeSuite } from '../cri-node.js';
import { LocalRegistry, registryAvailable } from '../registry.js';
import { busyboxRootfs } from '../../src/agent/runtime/cri/images.js';
import { connectCri } from '../../src/agent/runtime/cri/client.js';

const NODE = 'node1';
const NODE_IP = '192.168.77.1';
const IMAGE = 'skiff.local/busybox:latest';

const pod = (name: string, spec: any) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
const ctr = (name: string, script: string, extra: any = {}) => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ...extra });
/** exec probes get a generous timeout: ExecSync on a busy 2-core machine can take over the default 1 s. */
const execProbe = (command: string[], extra: any = {}) => ({ exec: { command }, periodSeconds: 1, timeoutSeconds: 5, ...extra });
const outMount = { name: 'out', mountPath: '/out' };

realNodeSuite('pod lifecycle on real containers', { file: import.meta.url, nodeIp: NODE_IP, node: NODE, dataDirPrefix: 'skiff-life-', outerTimeoutMs: 420_000, innerTimeoutMs: 360_000, waitFor: 'ready' }, (env) => {
  let c: Cluster;
  const dataDir = env.dataDir;
  const out = mkdtempSync(join(tmpdir(), 'skiff-life-out-'));
  const outVolume = { name: 'out', hostPath: { path: out, type: 'Directory' } };
  const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '');
  const getPod = (name: string) => c.getJson(`/api/v1/namespaces/default/pods/${name}`);
  const status = (p: any, name: string) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((s: any) => s.name === name);
  const cond = (p: any, type: string) => p.status?.conditions?.find((x: any) => x.type === type)?.status;
  const waitPod = (name: string, what: string, check: (p: any) => boolean, timeoutMs = 90_000) =>
    c.until(`pod ${name}: ${what}`, async () => {
      const p = await getPod(name);
      return check(p) ? p : undefined;
    }, timeoutMs);
  const events = async (name: string) => JSON.parse(await c.k(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];

  before(async () => {
    c = env.c;
    const pods = [
      // (a) healthy for 5 s, then the probed file goes.
      pod('live-exec', { containers: [ctr('app', 'touch /tmp/healthy; sleep 5; rm -f /tmp/healthy; exec sleep 3600', { livenessProbe: execProbe(['cat', '/tmp/healthy'], { failureThreshold: 1 }) })] }),
      // (b) httpd serves /healthz for 6 s, then answers 404.
      pod('live-http', {
        containers: [
          ctr('web', 'mkdir -p /www && echo ok > /www/healthz; (sleep 6; rm -f /www/healthz) & exec httpd -f -p 8080 -h /www', {
            ports: [{ name: 'http', containerPort: 8080 }],
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 2 },
          }),
        ],
      }),
      // (c) never ready / ready through a TCP connect.
      pod('unready', { containers: [ctr('app', 'exec sleep 3600', { readinessProbe: execProbe(['cat', '/nonexistent']) })] }),
      pod('ready-tcp', { containers: [ctr('web', 'mkdir -p /www && exec httpd -f -p 8080 -h /www', { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, timeoutSeconds: 5 } })] }),
      // (d) the liveness probe fails for the first 6 s; the startup probe holds it back.
      pod('slow-start', {
        containers: [
          ctr('app', 'sleep 6; touch /tmp/started; exec sleep 3600', {
            startupProbe: execProbe(['cat', '/tmp/started'], { failureThreshold: 60 }),
            livenessProbe: execProbe(['cat', '/tmp/started'], { failureThreshold: 1 }),
          }),
        ],
      }),
      // (e) the init container leaves a file in an emptyDir for the app.
      pod('init-share', {
        initContainers: [ctr('writer', 'echo "from-init $(hostname)" > /data/msg', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
        containers: [ctr('reader', 'cat /data/msg; exec sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
      // (f) preStop then SIGTERM (the trap exits); and a container that ignores SIGTERM.
      pod('graceful', {
        terminationGracePeriodSeconds: 30,
        containers: [
          ctr('app', "trap 'echo term >> /out/order; exit 0' TERM; echo up > /out/graceful-up; while true; do sleep 1; done", {
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /out/order; sleep 2'] } } },
            volumeMounts: [outMount],
          }),
        ],
        volumes: [outVolume],
      }),
      pod('stubborn', {
        terminationGracePeriodSeconds: 8,
        containers: [ctr('app', "trap 'echo got-term >> /out/stubborn-log' TERM; while true; do date +%s > /out/stubborn-beat; sleep 1; done", { volumeMounts: [outMount] })],
        volumes: [outVolume],
      }),
      // (g) runs a second, fails, over and over; each start is logged with its time.
      pod('crash', { containers: [ctr('c', 'date +%s >> /out/crash-starts; sleep 1; exit 1', { volumeMounts: [outMount] })], volumes: [outVolume] }),
      // (h) postStart writes a file in the container.
      pod('hooked', { containers: [ctr('app', 'exec sleep 3600', { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo "post-start $(hostname)" > /tmp/poststart'] } } } })] }),
      // (k) force-deleted while it ignores SIGTERM; (l) ended by activeDeadlineSeconds.
      pod('forced', {
        terminationGracePeriodSeconds: 3,
        containers: [ctr('app', "trap '' TERM; while true; do date +%s > /out/forced-beat; sleep 1; done", { volumeMounts: [outMount] })],
        volumes: [outVolume],
      }),
      pod('deadline', { activeDeadlineSeconds: 5, containers: [ctr('app', 'exec sleep 3600')] }),
      // (m) an exec probe that outlives its timeout; a startup probe that never passes.
      pod('slow-probe', { containers: [ctr('app', 'exec sleep 3600', { readinessProbe: { exec: { command: ['sh', '-c', 'sleep 5'] }, periodSeconds: 2, timeoutSeconds: 1 } })] }),
      pod('never-starts', { containers: [ctr('app', 'exec sleep 3600', { startupProbe: execProbe(['cat', '/nope'], { failureThreshold: 3 }) })] }),
      // (i) an image that cannot be pulled (a closed loopback port: fails at once).
      pod('nopull', { containers: [{ name: 'x', image: '127.0.0.1:1/missing/image:1.0', imagePullPolicy: 'IfNotPresent' }] }),
    ];
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }) });
  });
  after(async () => {
    rmSync(out, { recursive: true, force: true });
  });

  it('(a) a liveness exec probe that starts failing restarts the container, not the pod', async () => {
    const first = await waitPod('live-exec', 'Running', (p) => !!status(p, 'app')?.state?.running);
    const p = await waitPod('live-exec', 'restarted', (p) => status(p, 'app')?.restartCount >= 1 && !!status(p, 'app')?.state?.running);
    assert.equal(p.metadata.uid, first.metadata.uid, 'the same pod');
    const s = status(p, 'app');
    assert.ok(s.lastState.terminated, JSON.stringify(s));
    // sleep is PID 1 without a TERM handler, so the kernel drops SIGTERM: SIGKILL ends it (137).
    assert.ok([137, 143].includes(s.lastState.terminated.exitCode), JSON.stringify(s.lastState));
    assert.notEqual(s.containerID, status(first, 'app').containerID, 'a new container');
    const ev = await events('live-exec');
    const unhealthy = ev.find((x) => x.reason === 'Unhealthy');
    assert.match(unhealthy?.message ?? '', /^Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/, JSON.stringify(ev));
    assert.equal(unhealthy.involvedObject.fieldPath, 'spec.containers{app}');
    assert.equal(ev.find((x) => x.reason === 'Killing')?.message, 'Container app failed liveness probe, will be restarted');
  });

  it('(b) an httpGet liveness probe against httpd in the pod: passes while served, restarts on 404', async () => {
    const p = await waitPod('live-http', 'restarted', (p) => status(p, 'web')?.restartCount >= 1);
    const ev = await events('live-http');
    const unhealthy = ev.filter((x) => x.reason === 'Unhealthy').map((x) => x.message);
    // The failures are real HTTP answers from httpd, not connection errors.
    assert.ok(unhealthy.includes('Liveness probe failed: HTTP probe failed with statuscode: 404'), JSON.stringify(unhealthy));
    assert.equal(ev.find((x) => x.reason === 'Killing')?.message, 'Container web failed liveness probe, will be restarted');
    assert.ok([137, 143].includes(status(p, 'web').lastState.terminated.exitCode), JSON.stringify(status(p, 'web').lastState));
    const started = Date.parse(status(p, 'web').lastState.terminated.startedAt);
    const finished = Date.parse(status(p, 'web').lastState.terminated.finishedAt);
    assert.ok(finished - started >= 5000, `the first container lived while /healthz was served (${finished - started} ms)`);
  });

  it('(c) a failing readiness probe only flips Ready; a passing tcpSocket probe makes the pod Ready', async () => {
    await waitPod('unready', 'Running', (p) => p.status?.phase === 'Running');
    await c.until('several readiness failures', async () => (await events('unready')).find((x) => x.reason === 'Unhealthy')?.count >= 3, 60_000);
    const p = await getPod('unready');
    assert.equal(cond(p, 'Ready'), 'False');
    assert.equal(cond(p, 'ContainersReady'), 'False');
    assert.equal(p.status.conditions.find((x: any) => x.type === 'Ready').reason, 'ContainersNotReady');
    assert.equal(status(p, 'app').ready, false);
    assert.equal(status(p, 'app').restartCount, 0);
    assert.ok(status(p, 'app').state.running);
    assert.match((await events('unready')).find((x) => x.reason === 'Unhealthy').message, /^Readiness probe failed: cat: can't open '\/nonexistent'/);
    assert.match(await c.k(['get', 'pod', 'unready', '--no-headers']), /^unready\s+0\/1\s+Running\s+0\s/);

    const r = await waitPod('ready-tcp', 'Ready', (p) => cond(p, 'Ready') === 'True');
    assert.equal(cond(r, 'ContainersReady'), 'True');
    assert.equal(status(r, 'web').ready, true);
    assert.match(await c.k(['get', 'pod', 'ready-tcp', '--no-headers']), /^ready-tcp\s+1\/1\s+Running\s+0\s/);
  });

  it('(d) a startup probe holds back a liveness probe that would fail at first', async () => {
    const p = await waitPod('slow-start', 'started and ready', (p) => status(p, 'app')?.started === true && status(p, 'app')?.ready === true);
    const s = status(p, 'app');
    assert.equal(s.restartCount, 0, JSON.stringify(s));
    // It took the startup probe several failures to pass; liveness never ran before that.
    const ev = await events('slow-start');
    assert.ok(ev.some((x) => x.reason === 'Unhealthy' && x.message.startsWith('Startup probe failed')), JSON.stringify(ev));
    assert.ok(!ev.some((x) => x.reason === 'Unhealthy' && x.message.startsWith('Liveness probe failed')), JSON.stringify(ev));
    assert.ok(!ev.some((x) => x.reason === 'Killing'), JSON.stringify(ev));
    assert.ok(Date.now() - Date.parse(s.state.running.startedAt) >= 6000);
  });

  it('(e) an init container writes a file into an emptyDir that the app container reads', async () => {
    const p = await waitPod('init-share', 'Running', (p) => !!status(p, 'reader')?.state?.running);
    assert.equal(status(p, 'writer').state.terminated.reason, 'Completed');
    assert.equal(cond(p, 'Initialized'), 'True');
    await c.until('the reader to log the file', async () => (await c.k(['logs', 'init-share', '-c', 'reader'])) === 'from-init init-share\n', 30_000);
    assert.equal(await c.k(['exec', 'init-share', '-c', 'reader', '--', 'cat', '/data/msg']), 'from-init init-share\n');
  });

  it('(h) a postStart exec hook runs in the container', async () => {
    await waitPod('hooked', 'Running', (p) => !!status(p, 'app')?.state?.running);
    assert.equal(await c.k(['exec', 'hooked', '--', 'cat', '/tmp/poststart']), 'post-start hooked\n');
  });

  it('(f) preStop runs before SIGTERM; a container ignoring SIGTERM gets the whole grace period', async () => {
    await waitPod('graceful', 'Running', (p) => !!status(p, 'app')?.state?.running);
    await c.until('the container up', async () => read('graceful-up') === 'up\n');
    const t0 = Date.now();
    await c.k(['delete', 'pod', 'graceful', '--wait=true', '--timeout=60s']);
    const took = Date.now() - t0;
    assert.equal(read('order'), 'prestop\nterm\n');
    // The preStop hook sleeps 2 s before the TERM; the container exits on TERM, long before its 30 s are up.
    assert.ok(took >= 2000, `deletion took ${took} ms`);
    assert.ok(took < 30_000, `deletion took ${took} ms: the exit on TERM ended it`);

    await waitPod('stubborn', 'Running', (p) => !!status(p, 'app')?.state?.running);
    await c.until('a heartbeat', async () => read('stubborn-beat') !== '');
    const s0 = Date.now();
    await c.k(['delete', 'pod', 'stubborn', '--wait=true', '--timeout=60s']);
    const tookStubborn = Date.now() - s0;
    assert.match(read('stubborn-log'), /^got-term\n/, 'SIGTERM reached the container');
    assert.ok(tookStubborn >= 8000, `deletion waited out terminationGracePeriodSeconds 8 (${tookStubborn} ms)`);
    // It kept running after SIGTERM, until the SIGKILL at the end of the grace period.
    const lastBeat = Number(read('stubborn-beat')) * 1000;
    assert.ok(lastBeat >= Math.floor(s0 / 1000) * 1000 + 6000, `last heartbeat ${new Date(lastBeat).toISOString()}, deletion began ${new Date(s0).toISOString()}`);
  });

  it('(g) a crashing container is restarted at once, then after 10 s, then 20 s (CrashLoopBackOff)', async (t) => {
    const starts = await c.until('four starts', async () => {
      const t = read('crash-starts').split('\n').filter(Boolean).map(Number);
      return t.length >= 4 && t;
    }, 150_000);
    const gaps = [starts[1] - starts[0], starts[2] - starts[1], starts[3] - starts[2]];
    t.diagnostic(`seconds between starts: ${gaps.join(', ')}`);
    // Each run lasts 1 s; the back-off counts from the exit.
    assert.ok(gaps[0] < 10, `the first restart is immediate: ${gaps}`);
    assert.ok(gaps[1] >= 10, `then 10 s back-off: ${gaps}`);
    assert.ok(gaps[2] >= 20, `then 20 s back-off: ${gaps}`);
    const p = await waitPod('crash', 'CrashLoopBackOff after the fourth exit', (p) => status(p, 'c')?.state?.waiting?.reason === 'CrashLoopBackOff' && status(p, 'c').restartCount >= 3);
    // After n restarts the next waits 10 s × 2^(n-1): 40 s after the third.
    const n = status(p, 'c').restartCount;
    assert.equal(status(p, 'c').state.waiting.message, `back-off ${10 * 2 ** (n - 1)}s restarting failed container=c pod=crash_default(${p.metadata.uid})`);
    assert.equal(status(p, 'c').lastState.terminated.exitCode, 1);
    const backoff = (await events('crash')).find((x) => x.reason === 'BackOff');
    assert.equal(backoff?.message, `Back-off restarting failed container c in pod crash_default(${p.metadata.uid})`);
    assert.match(await c.k(['get', 'pod', 'crash', '--no-headers']), /^crash\s+0\/1\s+CrashLoopBackOff\s+[3-9]\s/);
  });

  it('(i) kubelet events: Pulled (already present), Created, Started, Killing; Failed and BackOff for a pull that fails', async () => {
    const p = await getPod('init-share');
    const ev = await events('init-share');
    const seen = ev.map((e) => `${e.type} ${e.reason} ${e.involvedObject.fieldPath ?? ''} ${e.message}`);
    for (const [field, name] of [['initContainers', 'writer'], ['containers', 'reader']]) {
      for (const line of [
        `Normal Pulled spec.${field}{${name}} Container image "${IMAGE}" already present on machine`,
        `Normal Created spec.${field}{${name}} Created container ${name}`,
        `Normal Started spec.${field}{${name}} Started container ${name}`,
      ])
        assert.ok(seen.includes(line), `${line}\n${seen.join('\n')}`);
    }
    const kubelet = ev.find((e) => e.reason === 'Started');
    assert.equal(kubelet.source.component, 'kubelet');
    assert.equal(kubelet.source.host, NODE);
    assert.equal(kubelet.involvedObject.uid, p.metadata.uid);
    const desc = await c.k(['describe', 'pod', 'init-share']);
    assert.match(desc, /Normal\s+Started\s+\S+\s+kubelet\s+Started container reader/);

    // The deleted pod's Killing event (preStop runs after it).
    assert.ok((await events('graceful')).some((e) => e.reason === 'Killing' && e.message === 'Stopping container app' && e.involvedObject.fieldPath === 'spec.containers{app}'));

    await waitPod('nopull', 'ImagePullBackOff', (p) => status(p, 'x')?.state?.waiting?.reason === 'ImagePullBackOff');
    const failed = await c.until('the pull failure events', async () => {
      const e = (await events('nopull')).map((e) => `${e.type} ${e.reason} ${e.involvedObject.fieldPath ?? ''} ${e.message}`);
      return e.some((l) => l.startsWith('Warning Failed spec.containers{x} Error: ImagePullBackOff')) && e;
    });
    const image = '127.0.0.1:1/missing/image:1.0';
    for (const line of [`Normal Pulling spec.containers{x} Pulling image "${image}"`, 'Warning Failed spec.containers{x} Error: ErrImagePull', `Normal BackOff spec.containers{x} Back-off pulling image "${image}"`])
      assert.ok(failed.includes(line), `${line}\n${failed.join('\n')}`);
    assert.ok(failed.some((l) => l.startsWith(`Warning Failed spec.containers{x} Failed to pull image "${image}": `)), failed.join('\n'));
    assert.ok(!failed.some((l) => / (Created|Started) /.test(l)), failed.join('\n'));
  });

  it('(j) kubelet events for an image pulled from a registry: Pulling, then Pulled with its time and size', { skip: registryAvailable() ? false : 'needs docker-registry' }, async () => {
    const reg = await LocalRegistry.start(5056);
    try {
      await reg.push('team/tool', '1.0', { layers: [busyboxRootfs()], entrypoint: ['sh', '-c', 'exit 0'] });
      const image = `${reg.host}/team/tool:1.0`;
      await c.k(['apply', '-f', '-'], { input: JSON.stringify(pod('pulled', { restartPolicy: 'Never', containers: [{ name: 'tool', image, imagePullPolicy: 'Always' }] })) });
      await waitPod('pulled', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
      const ev = await c.until('the Started event', async () => {
        const e = await events('pulled');
        return e.some((x) => x.reason === 'Started') && e;
      });
      // One of each (events list by name, not by time: their order is not checked).
      const reasons = ev.map((e) => e.reason).filter((r) => ['Pulling', 'Pulled', 'Created', 'Started'].includes(r));
      assert.deepEqual(reasons.sort(), ['Created', 'Pulled', 'Pulling', 'Started'], JSON.stringify(ev.map((e) => e.message)));
      assert.equal(ev.find((e) => e.reason === 'Pulling').message, `Pulling image "${image}"`);
      assert.match(ev.find((e) => e.reason === 'Pulled').message, new RegExp(`^Successfully pulled image "${image.replace(/[.]/g, '\\.')}" in [\\d.]+m?s \\([\\d.]+m?s including waiting\\)\\. Image size: [1-9]\\d* bytes\\.$`));
    } finally {
      reg.stop();
    }
  });

  it('(k) `kubectl delete --grace-period=0 --force`: the pod goes at once, its container is stopped after the spec\'s grace period', async () => {
    const p = await waitPod('forced', 'Running', (p) => !!status(p, 'app')?.state?.running);
    await c.until('a heartbeat', async () => read('forced-beat') !== '');
    const t0 = Date.now();
    const r = await c.kubectl(['delete', 'pod', 'forced', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Immediate deletion does not wait for confirmation that the running resource has been terminated/);
    assert.equal((await c.raw('GET', '/api/v1/namespaces/default/pods/forced')).code, 404);
    // The container still gets SIGTERM and terminationGracePeriodSeconds (3 s) before SIGKILL,
    // then its sandbox is removed.
    const socket = join(dataDir, 'containerd', 'containerd.sock');
    await c.until('the sandbox removed', async () => {
      const cri = connectCri(socket);
      try {
        return (await cri.runtime.ListPodSandbox({ filter: { labelSelector: { 'io.kubernetes.pod.uid': p.metadata.uid } } })).items.length === 0;
      } finally {
        cri.close();
      }
    }, 60_000);
    const last = read('forced-beat');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(read('forced-beat'), last, 'the container no longer runs');
    // It ignored SIGTERM and ran on until the SIGKILL 3 s later (upstream's calculateEffectiveGracePeriod: 0 falls back to the spec's).
    assert.ok(Number(last) >= Math.floor(t0 / 1000) + 2, `last heartbeat ${last}, deletion at ${t0 / 1000}`);
  });

  it('(l) activeDeadlineSeconds fails the pod with DeadlineExceeded and stops its container', async () => {
    const p = await waitPod('deadline', 'Failed', (p) => p.status?.phase === 'Failed' && !!status(p, 'app')?.state?.terminated);
    assert.equal(p.status.reason, 'DeadlineExceeded');
    assert.equal(p.status.message, 'Pod was active on the node longer than the specified deadline');
    assert.equal(status(p, 'app').state.terminated.exitCode, 137, JSON.stringify(status(p, 'app')));
    assert.equal(status(p, 'app').restartCount, 0);
    assert.ok((await events('deadline')).some((e) => e.reason === 'DeadlineExceeded' && e.message === 'Pod was active on the node longer than the specified deadline'));
    // kubectl's STATUS column prefers a terminated container's reason over the pod's (as upstream's printPod).
    assert.match(await c.k(['get', 'pod', 'deadline', '--no-headers']), /^deadline\s+0\/1\s+Error\s+0\s/);
  });

  it('(m) an exec probe past its timeoutSeconds fails; a startup probe past its failureThreshold restarts the container', async () => {
    const ev = await c.until('a timed-out readiness probe', async () => {
      const e = await events('slow-probe');
      return e.some((x) => x.reason === 'Unhealthy') && e;
    }, 60_000);
    assert.equal(ev.find((x) => x.reason === 'Unhealthy').message, 'Readiness probe failed: command "sh -c sleep 5" timed out');
    const p = await getPod('slow-probe');
    assert.equal(cond(p, 'Ready'), 'False');
    assert.equal(status(p, 'app').restartCount, 0);

    const n = await waitPod('never-starts', 'restarted', (p) => status(p, 'app')?.restartCount >= 1);
    assert.equal(status(n, 'app').started, false);
    const killing = (await events('never-starts')).find((x) => x.reason === 'Killing');
    assert.equal(killing?.message, 'Container app failed startup probe, will be restarted');
  });
});
