import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeOutcome } from './types.js';
import { ProbeWorker, type ContainerView, type WorkerContext } from './worker.js';
import { ProbeManager } from './manager.js';
import { FakeClock } from './fake-clock.js';

/** A context whose probe answers come from a script and whose clock the test moves. */
function harness(o: { answers?: ProbeOutcome['result'][]; pod?: any; started?: boolean } = {}) {
  const h = {
    now: 100_000,
    container: { id: 'c1', running: true, terminated: false, startedAt: 100_000 } as ContainerView | undefined,
    answers: [...(o.answers ?? [])],
    events: [] as string[],
    probes: 0,
    changes: 0,
    started: o.started ?? true,
  };
  const ctx: WorkerContext = {
    pod: o.pod ?? { metadata: {}, spec: { restartPolicy: 'Always' } },
    container: () => h.container,
    started: () => h.started,
    target: () => ({}) as any,
    now: () => h.now,
    probe: async () => {
      h.probes++;
      const r = h.answers.shift() ?? 'success';
      return { result: r, output: r === 'failure' ? 'HTTP probe failed with statuscode: 500' : '' };
    },
    event: (type, reason, message) => h.events.push(`${type} ${reason} ${message}`),
    changed: () => h.changes++,
  };
  return { h, ctx };
}

describe('probe worker (upstream thresholds)', () => {
  it('readiness starts false and needs successThreshold successes', async () => {
    const { h, ctx } = harness({ answers: ['success', 'failure', 'success', 'success'] });
    const w = new ProbeWorker('readiness', { name: 'app' }, { successThreshold: 2, failureThreshold: 1 });
    await w.doProbe(ctx);
    assert.equal(w.stateFor('c1'), 'failure', 'one success is below the threshold: still not ready');
    await w.doProbe(ctx); // failure (threshold 1)
    await w.doProbe(ctx);
    assert.equal(w.stateFor('c1'), 'failure');
    await w.doProbe(ctx);
    assert.equal(w.stateFor('c1'), 'success');
    assert.deepEqual(h.events, ['Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 500']);
  });
  it('liveness starts true, fails after failureThreshold in a row, then holds until a new container', async () => {
    const { h, ctx } = harness({ answers: ['failure', 'failure', 'success', 'failure', 'failure', 'failure', 'failure'] });
    const w = new ProbeWorker('liveness', { name: 'app' }, { failureThreshold: 3 });
    for (let i = 0; i < 5; i++) await w.doProbe(ctx);
    assert.equal(w.stateFor('c1'), 'success', 'f f s f f: never 3 failures in a row');
    await w.doProbe(ctx);
    assert.equal(w.stateFor('c1'), 'failure');
    const before = h.probes;
    await w.doProbe(ctx);
    assert.equal(h.probes, before, 'on hold: the container is being killed');
    h.container = { id: 'c2', running: true, terminated: false, startedAt: h.now };
    await w.doProbe(ctx);
    assert.equal(w.stateFor('c2'), 'success', 'a new container starts healthy');
    assert.equal(h.events.filter((e) => e.includes('Liveness probe failed')).length, 6);
  });
  it('waits initialDelaySeconds after the container started', async () => {
    const { h, ctx } = harness();
    const w = new ProbeWorker('liveness', { name: 'app' }, { initialDelaySeconds: 5 });
    h.now += 4999;
    await w.doProbe(ctx);
    assert.equal(h.probes, 0);
    h.now += 1;
    await w.doProbe(ctx);
    assert.equal(h.probes, 1);
  });
  it('only the startup probe runs until it succeeded, and then only the others', async () => {
    const { h, ctx } = harness({ started: false });
    const live = new ProbeWorker('liveness', { name: 'app' }, {});
    const startup = new ProbeWorker('startup', { name: 'app' }, {});
    await live.doProbe(ctx);
    assert.equal(h.probes, 0, 'liveness is gated');
    await startup.doProbe(ctx);
    assert.equal(startup.stateFor('c1'), 'success');
    h.started = true;
    await startup.doProbe(ctx);
    assert.equal(h.probes, 1, 'startup stops once started');
    await live.doProbe(ctx);
    assert.equal(h.probes, 2);
  });
  it('a stopped container fails readiness; Never + terminated stops the worker; deletion quiets liveness', async () => {
    const { h, ctx } = harness({ pod: { metadata: {}, spec: { restartPolicy: 'Never' } } });
    const r = new ProbeWorker('readiness', { name: 'app' }, {});
    await r.doProbe(ctx);
    assert.equal(r.stateFor('c1'), 'success');
    h.container = { id: 'c1', running: false, terminated: true };
    assert.equal(await r.doProbe(ctx), false);
    assert.equal(r.stateFor('c1'), 'failure');
    const { ctx: del } = harness({ pod: { metadata: { deletionTimestamp: 'x' }, spec: {} }, answers: ['failure'] });
    const l = new ProbeWorker('liveness', { name: 'app' }, { failureThreshold: 1 });
    assert.equal(await l.doProbe(del), false);
    assert.equal(l.stateFor('c1'), 'success');
  });
});

describe('probe manager', () => {
  it('ticks each probe every periodSeconds and asks for a sync when a result changes', async () => {
    const clock = new FakeClock();
    const changed: string[] = [];
    let healthy = true;
    const m = new ProbeManager({
      runtime: {} as any,
      network: false,
      clock,
      onChange: (k) => changed.push(k),
      event: () => {},
      probe: async () => ({ result: healthy ? 'success' : 'failure', output: '' }),
    });
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', livenessProbe: { periodSeconds: 10, failureThreshold: 2 }, readinessProbe: { periodSeconds: 5 } }] } };
    m.sync('d/p', { pod, podIP: '', container: () => ({ id: 'c1', running: true, terminated: false, startedAt: clock.t }) });
    await clock.advance(0);
    assert.equal(m.ready('d/p', 'app', 'c1'), true, 'first readiness probe runs at once');
    healthy = false;
    await clock.advance(10_000);
    assert.equal(m.killReason('d/p', 'app', 'c1'), undefined, 'one failure < failureThreshold 2');
    await clock.advance(10_000);
    assert.equal(m.killReason('d/p', 'app', 'c1'), 'liveness');
    assert.ok(changed.length >= 2);
    m.remove('d/p');
    assert.equal(m.has('d/p'), false);
  });
  it('spreads the first probes of adopted containers over one period', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const m = new ProbeManager({ runtime: {} as any, network: false, clock, onChange: () => {}, event: () => {}, probe: async () => (at.push(clock.t), { result: 'success', output: '' }) });
    const start = clock.t;
    for (let i = 0; i < 20; i++) {
      const pod = { metadata: { name: `p${i}` }, spec: { containers: [{ name: 'app', livenessProbe: { periodSeconds: 10 } }] } };
      m.sync(`d/p${i}`, { pod, podIP: '', container: () => ({ id: `c${i}`, running: true, terminated: false, startedAt: start - 60_000 }) }, { jitter: true });
    }
    await clock.advance(0);
    assert.equal(at.length, 0, 'nothing at once');
    await clock.advance(10_000);
    assert.equal(at.length, 20, 'every probe ran within its first period');
    assert.ok(new Set(at).size > 1, 'at different times');
    for (let i = 0; i < 20; i++) m.remove(`d/p${i}`);
  });
});
