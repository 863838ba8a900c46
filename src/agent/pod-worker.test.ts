/**
 * The pod worker over the simulated runtime, a fake pod client and a hand-moved clock for
 * probes and back-off: probes restart or un-ready containers, hooks run in order, the
 * grace period is honoured, init containers are retried, deadlines fail the pod.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../util/log.js';
import { PodWorkers, type PodWorkerOptions } from './pod-worker.js';
import { FakeClock } from './probes/fake-clock.js';
import { SimulatedRuntime } from './runtime/simulated.js';

interface Harness {
  rt: SimulatedRuntime;
  workers: PodWorkers;
  clock: FakeClock;
  pod: any;
  events: string[];
  deletes: any[];
  queue: string[];
  /** Syncs queued pods until the check holds (bounded). */
  until(what: string, check: (pod: any) => boolean, timeoutMs?: number): Promise<void>;
  cs(name?: string): any;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    h.workers.close();
    await h.rt.close();
  }
});

function harness(spec: any, meta: any = {}, opts: Partial<PodWorkerOptions> = {}): Harness {
  const clock = new FakeClock();
  const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24', podIp: '127.0.0.1' });
  const h = {} as Harness;
  h.rt = rt;
  h.clock = clock;
  h.events = [];
  h.deletes = [];
  h.queue = [];
  h.pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'uid-1', ...meta }, spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...spec }, status: { phase: 'Pending', qosClass: 'BestEffort' } };
  const pods: any = {
    patch: async (_ns: string, _n: string, _t: string, body: any) => {
      h.pod = { ...h.pod, status: body.status };
      return h.pod;
    },
    delete: async (ns: string, name: string, opts: any) => {
      h.deletes.push({ ns, name, ...opts });
    },
  };
  h.workers = new PodWorkers({
    runtime: rt,
    pods,
    nodeName: 'n',
    hostIP: '127.0.0.1',
    log: silentLogger,
    now: () => new Date(clock.now()),
    probeClock: clock,
    probeNetwork: true,
    enqueue: (k) => h.queue.push(k),
    event: (_pod, fieldPath, type, reason, message) => h.events.push(`${type} ${reason} ${fieldPath ?? ''} ${message}`),
    ...opts,
  });
  rt.onContainerEvent((c) => {
    const k = h.workers.observe(c);
    if (k) h.queue.push(k);
  });
  h.queue.push('d/p');
  h.until = async (what, check, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      while (h.queue.length) {
        h.queue.splice(0);
        await h.workers.sync('d/p', h.pod ?? undefined);
      }
      if (h.pod && check(h.pod)) return;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(h.pod?.status)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  h.cs = (name = 'app') => [...(h.pod.status.containerStatuses ?? []), ...(h.pod.status.initContainerStatuses ?? [])].find((c: any) => c.name === name);
  open.push(h);
  return h;
}

const cond = (pod: any, type: string) => pod.status.conditions?.find((c: any) => c.type === type);
const containerId = (h: Harness, name = 'app') => h.cs(name).containerID.replace('simulated://', '');

describe('pod worker: probes', () => {
  it('a liveness exec probe that starts failing restarts only the container', async () => {
    const h = harness({
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'touch /tmp/healthy; sleep 3600'], livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 } }],
    });
    await h.until('running and ready', (p) => p.status.phase === 'Running' && cond(p, 'Ready')?.status === 'True');
    assert.equal(h.cs().started, true);
    const first = containerId(h);
    await h.rt.execSync(first, ['rm', '-f', '/tmp/healthy'], 1);
    await h.clock.advance(1000);
    assert.equal(h.cs().restartCount, 0, 'one failure is below failureThreshold');
    await h.clock.advance(1000);
    await h.until('restarted', (p) => p.status.containerStatuses[0].restartCount === 1 && p.status.containerStatuses[0].state.running);
    assert.notEqual(containerId(h), first);
    assert.equal(h.cs().lastState.terminated.exitCode, 143);
    assert.equal(h.cs().lastState.terminated.reason, 'Error');
    assert.equal(h.deletes.length, 0, 'the pod is not recreated');
    assert.ok(h.events.includes(`Warning Unhealthy spec.containers{app} Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n`), h.events.join('\n'));
    assert.ok(h.events.includes('Normal Killing spec.containers{app} Container app failed liveness probe, will be restarted'));
    // The new container made its file again: it stays up.
    await h.clock.advance(3000);
    await h.until('still running', () => true);
    assert.equal(h.cs().restartCount, 1);
  });

  it('a failing readiness probe flips Ready without restarting', async () => {
    const h = harness({ containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'], readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 } }] });
    await h.until('running', (p) => p.status.phase === 'Running');
    for (let i = 0; i < 5; i++) await h.clock.advance(1000);
    await h.until('synced', () => true);
    assert.equal(cond(h.pod, 'Ready').status, 'False');
    assert.equal(cond(h.pod, 'Ready').reason, 'ContainersNotReady');
    assert.equal(cond(h.pod, 'ContainersReady').message, 'containers with unready status: [app]');
    assert.equal(h.cs().ready, false);
    assert.equal(h.cs().started, true);
    assert.equal(h.cs().restartCount, 0);
    await h.rt.execSync(containerId(h), ['touch', '/tmp/ready'], 1);
    await h.clock.advance(1000);
    await h.until('ready', (p) => cond(p, 'Ready').status === 'True');
    assert.ok(h.events.some((e) => e.startsWith('Warning Unhealthy spec.containers{app} Readiness probe failed: ')));
  });

  it('a startup probe holds back liveness until it succeeds', async () => {
    const h = harness({
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sleep', 'inf'],
          startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 100 },
          livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    await h.until('running', (p) => p.status.phase === 'Running');
    for (let i = 0; i < 5; i++) await h.clock.advance(1000);
    await h.until('synced', () => true);
    assert.equal(h.cs().started, false);
    assert.equal(h.cs().ready, false);
    assert.equal(h.cs().restartCount, 0, 'liveness is not run before startup succeeded');
    await h.rt.execSync(containerId(h), ['touch', '/tmp/started'], 1);
    await h.clock.advance(1000);
    await h.clock.advance(1000);
    await h.until('restarted by liveness', (p) => p.status.containerStatuses[0].restartCount === 1);
    const exec = h.rt.history.filter((e) => e.op === 'exec').map((e) => e.detail);
    assert.deepEqual([...new Set(exec)], ['cat /tmp/started', 'touch /tmp/started', 'cat /tmp/alive'], 'liveness ran only after startup succeeded');
    assert.ok(h.events.includes('Normal Killing spec.containers{app} Container app failed liveness probe, will be restarted'));
  });

  it('a failing startup probe kills the container', async () => {
    const h = harness({ containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'], startupProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }] });
    await h.until('running', (p) => p.status.phase === 'Running');
    await h.clock.advance(2000);
    await h.until('restarted', (p) => p.status.containerStatuses[0].restartCount === 1);
    assert.ok(h.events.includes('Normal Killing spec.containers{app} Container app failed startup probe, will be restarted'));
  });
});

describe('pod worker: network probes against real listeners (pod IP 127.0.0.1)', () => {
  it('httpGet readiness follows the status code; tcpSocket liveness restarts when the port closes', async () => {
    let code = 500;
    const web = createServer((_req, res) => res.writeHead(code).end());
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const port = (web.address() as AddressInfo).port;
    try {
      const h = harness({
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', 'inf'],
            ports: [{ name: 'web', containerPort: port }],
            readinessProbe: { httpGet: { path: '/ready', port: 'web' }, periodSeconds: 1, failureThreshold: 1 },
            livenessProbe: { tcpSocket: { port }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      });
      await h.until('running', (p) => p.status.phase === 'Running');
      await h.clock.advance(1000);
      await h.until('a failed readiness probe', () => h.events.includes('Warning Unhealthy spec.containers{app} Readiness probe failed: HTTP probe failed with statuscode: 500'));
      assert.equal(cond(h.pod, 'Ready').status, 'False');
      code = 200;
      await h.until('ready', (p) => {
        void h.clock.advance(1000);
        return cond(p, 'Ready').status === 'True';
      });
      await new Promise((r) => web.close(r));
      // Probes over the network take real time: keep ticking until the restart shows.
      await h.until('restarted', (p) => {
        void h.clock.advance(1000);
        return p.status.containerStatuses[0].restartCount === 1;
      });
      await h.until('restarted', (p) => p.status.containerStatuses[0].restartCount === 1);
      assert.ok(h.events.includes(`Warning Unhealthy spec.containers{app} Liveness probe failed: dial tcp 127.0.0.1:${port}: connect: connection refused`), h.events.join('\n'));
    } finally {
      web.close();
    }
  });
});

describe('pod worker: hooks and termination', () => {
  it('runs preStop before SIGTERM, honours the grace period, then removes the pod with grace 0', async () => {
    const h = harness({
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; sleep 3600'], lifecycle: { preStop: { exec: { command: ['sh', '-c', 'touch /tmp/bye'] } } } }],
    });
    await h.until('running', (p) => p.status.phase === 'Running');
    h.pod = { ...h.pod, metadata: { ...h.pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 1 } };
    h.queue.push('d/p');
    const t0 = Date.now();
    await h.until('deleted', () => h.deletes.length > 0);
    const ops = h.rt.history.filter((e) => e.container === 'app').map((e) => `${e.op}${e.op === 'exec' ? ` ${e.detail}` : ''}`);
    assert.deepEqual(ops, ['start', 'exec sh -c touch /tmp/bye', 'sigterm', 'sigkill', 'exit']);
    const term = h.rt.history.find((e) => e.op === 'sigterm')!;
    assert.equal(term.detail, '2', 'at least the 2 s minimum after the hook');
    assert.ok(Date.now() - t0 >= 1900, 'SIGKILL only when the grace period ran out');
    assert.deepEqual(h.deletes[0], { ns: 'd', name: 'p', gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' } });
    assert.equal(h.cs().state.terminated.exitCode, 137);
    assert.ok(h.events.includes('Normal Killing spec.containers{app} Stopping container app'));
  });

  it('a failing preStop hook is reported and the container still stops', async () => {
    const h = harness({ containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'], lifecycle: { preStop: { exec: { command: ['sh', '-c', 'exit 3'] } } } }] });
    await h.until('running', (p) => p.status.phase === 'Running');
    h.pod = { ...h.pod, metadata: { ...h.pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 } };
    h.queue.push('d/p');
    await h.until('deleted', () => h.deletes.length > 0);
    assert.ok(h.events.includes('Warning FailedPreStopHook spec.containers{app} PreStopHook failed'), h.events.join('\n'));
    assert.equal(h.cs().state.terminated.exitCode, 143);
    assert.equal(h.pod.status.phase, 'Failed', 'a deleted pod ends in a terminal phase before it is removed');
  });

  it('a failed postStart hook kills the container and says so', async () => {
    const h = harness({ containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 1'] } } } }] });
    await h.until('restarted', (p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    assert.ok(h.events.some((e) => e.startsWith('Warning FailedPostStartHook spec.containers{app} Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod "p_d(uid-1)" failed')), h.events.join('\n'));
    assert.ok(h.events.includes('Normal Killing spec.containers{app} FailedPostStartHook'));
  });

  it('a pod gone from the API (forced deletion) still has its containers stopped', async () => {
    const h = harness({ containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] });
    await h.until('running', (p) => p.status.phase === 'Running');
    const id = containerId(h);
    await h.workers.sync('d/p', undefined);
    await h.until('stopped', () => h.rt.history.some((e) => e.op === 'exit'));
    assert.equal(h.workers.knownKeys().length, 0);
    assert.ok((await h.rt.listContainers()).every((c) => c.id !== id || c.state === 'exited'));
  });

  it('activeDeadlineSeconds fails the pod with DeadlineExceeded and stops its containers', async () => {
    const h = harness({ activeDeadlineSeconds: 5, containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] });
    await h.until('running', (p) => p.status.phase === 'Running');
    await h.clock.advance(5000);
    h.queue.push('d/p');
    await h.until('failed', (p) => p.status.phase === 'Failed' && !!p.status.containerStatuses[0].state.terminated);
    assert.equal(h.pod.status.reason, 'DeadlineExceeded');
    assert.equal(h.pod.status.message, 'Pod was active on the node longer than the specified deadline');
    assert.equal(cond(h.pod, 'Ready').reason, 'PodFailed');
  });
});

describe('pod worker: init containers and back-off', () => {
  it('retries a failing init container with crash-loop back-off, app containers waiting', async () => {
    const h = harness({ initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'exit 1'] }], containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] });
    await h.until('back-off', (p) => h.cs('init')?.state.waiting?.reason === 'CrashLoopBackOff');
    const init = h.cs('init');
    assert.equal(init.restartCount, 1, 'the first restart is immediate');
    assert.equal(init.state.waiting.message, 'back-off 10s restarting failed container=init pod=p_d(uid-1)');
    assert.equal(init.lastState.terminated.exitCode, 1);
    assert.equal(h.pod.status.phase, 'Pending');
    assert.equal(h.cs('app').state.waiting.reason, 'PodInitializing');
    assert.equal(cond(h.pod, 'Initialized').message, 'containers with incomplete status: [init]');
    // (the exits happen on the wall clock, a little after the fake clock's start)
    await h.clock.advance(15_000);
    h.queue.push('d/p');
    await h.until('second retry', () => h.cs('init').restartCount === 2 && h.cs('init').state.waiting?.message?.startsWith('back-off 20s'));
    assert.ok(h.events.includes('Warning BackOff spec.initContainers{init} Back-off restarting failed container init in pod p_d(uid-1)'));
  });

  it('with restartPolicy Never a failed init container fails the pod', async () => {
    const h = harness({ restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox', command: ['false'] }], containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] });
    await h.until('failed', (p) => p.status.phase === 'Failed');
    assert.equal(h.cs('init').restartCount, 0);
    assert.equal(h.cs('app').state.waiting.reason, 'PodInitializing');
  });

  it('runs init containers in order before the app and reports Initialized', async () => {
    const h = harness({
      initContainers: [
        { name: 'i1', image: 'busybox', command: ['true'] },
        { name: 'i2', image: 'busybox', command: ['sh', '-c', 'sleep 0.05; exit 0'] },
      ],
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }],
    });
    await h.until('running', (p) => p.status.phase === 'Running');
    const starts = h.rt.history.filter((e) => e.op === 'start').map((e) => e.container);
    assert.deepEqual(starts, ['i1', 'i2', 'app']);
    assert.equal(cond(h.pod, 'Initialized').status, 'True');
    assert.equal(h.cs('i1').ready, true);
    assert.equal(h.cs('i2').state.terminated.reason, 'Completed');
  });

  it('a crashing app container reaches CrashLoopBackOff with growing delays', async () => {
    const h = harness({ containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 2'] }] });
    const seen: string[] = [];
    for (const wait of [10_000, 20_000, 40_000]) {
      await h.until('back-off', () => h.cs()?.state.waiting?.reason === 'CrashLoopBackOff');
      seen.push(h.cs().state.waiting.message.split(' ')[1]);
      await h.clock.advance(wait + 5000);
      h.queue.push('d/p');
      await h.until('restarted', () => h.cs().state.waiting?.reason !== 'CrashLoopBackOff' || h.cs().state.waiting.message.split(' ')[1] !== seen.at(-1));
    }
    assert.deepEqual(seen, ['10s', '20s', '40s']);
    assert.equal(h.cs().lastState.terminated.reason, 'Error');
  });
});

describe('pod worker: sidecars (restartable init containers)', () => {
  it('a sidecar must start before the next init container, runs beside the app, and is stopped when the app is done', async () => {
    const h = harness({
      restartPolicy: 'Never',
      initContainers: [
        { name: 'side', image: 'busybox', restartPolicy: 'Always', command: ['sleep', 'inf'], startupProbe: { exec: { command: ['cat', '/tmp/up'] }, periodSeconds: 1, failureThreshold: 100 } },
        { name: 'init', image: 'busybox', command: ['true'] },
      ],
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'touch /tmp/app; sleep 3600'] }],
    });
    await h.until('sidecar running', () => h.cs('side')?.state.running);
    await h.clock.advance(1000);
    await h.until('synced', () => true);
    assert.equal(h.pod.status.phase, 'Pending');
    assert.equal(cond(h.pod, 'Initialized').message, 'containers with incomplete status: [side init]');
    assert.ok(!h.rt.history.some((e) => e.container === 'init'), 'the next init container waits for the sidecar to start');
    await h.rt.execSync(containerId(h, 'side'), ['touch', '/tmp/up'], 1);
    await h.until('app running', (p) => {
      void h.clock.advance(1000);
      return p.status.phase === 'Running' && !!h.cs('app')?.state.running;
    });
    assert.deepEqual(
      h.rt.history.filter((e) => e.op === 'start').map((e) => e.container),
      ['side', 'init', 'app'],
    );
    assert.equal(h.cs('side').started, true);
    assert.equal(h.cs('side').ready, true);
    assert.equal(cond(h.pod, 'Initialized').status, 'True');
    // The sidecar is restarted whatever the pod's restartPolicy.
    await h.rt.stopContainer(containerId(h, 'side'), 0);
    await h.until('sidecar restarted', () => h.cs('side').restartCount === 1 && !!h.cs('side').state.running);
    // The app finishes: the sidecar is stopped and does not decide the phase.
    await h.rt.stopContainer(containerId(h, 'app'), 0);
    await h.until('pod done', (p) => p.status.phase === 'Failed' || p.status.phase === 'Succeeded');
    assert.equal(h.pod.status.phase, 'Failed', 'the app exited 143');
    assert.equal(h.cs('side').state.terminated.exitCode, 143);
    assert.equal(h.cs('side').restartCount, 1);
  });
});

describe('pod worker: container events', () => {
  const spec = { initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }], containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] };
  it('records Created and Started for each container on a node that asks for them', async () => {
    const h = harness(spec, {}, { containerEvents: true });
    await h.until('running', (p) => p.status.phase === 'Running');
    for (const [field, name] of [['initContainers', 'init'], ['containers', 'app']])
      for (const e of [`Normal Created spec.${field}{${name}} Created container ${name}`, `Normal Started spec.${field}{${name}} Started container ${name}`]) assert.ok(h.events.includes(e), `${e}\n${h.events.join('\n')}`);
  });
  it('records none on a hollow node (the default)', async () => {
    const h = harness(spec);
    await h.until('running', (p) => p.status.phase === 'Running');
    assert.deepEqual(h.events.filter((e) => / (Created|Started|Pulled|Pulling) /.test(e)), []);
  });
});
