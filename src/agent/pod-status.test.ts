import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computePodStatus, podPhase, type ContainerRecord } from './pod-status.js';
import { planFor } from './runtime/simulated.js';
import type { ContainerStatus } from './runtime/types.js';

const c = (name: string, state: ContainerStatus['state'], exitCode?: number): ContainerStatus => ({
  id: `id-${name}-${state}`,
  sandboxId: 'sb',
  name,
  state,
  createdAt: new Date(0),
  startedAt: new Date(1000),
  finishedAt: state === 'exited' ? new Date(2000) : undefined,
  exitCode,
  image: 'busybox',
  imageId: 'sha256:x',
});
const recs = (entries: [string, ContainerRecord][]) => new Map(entries);
const pod = (restartPolicy: string, containers = ['a'], init: string[] = []) => ({
  metadata: { name: 'p', namespace: 'd', uid: 'u' },
  spec: { restartPolicy, containers: containers.map((name) => ({ name, image: 'busybox' })), initContainers: init.map((name) => ({ name, image: 'busybox' })) },
  status: {},
});

describe('pod phase (kubelet getPhase)', () => {
  it('is Pending until containers run, Running while any runs', () => {
    assert.equal(podPhase(pod('Always'), new Map(), new Map()), 'Pending');
    assert.equal(podPhase(pod('Always'), new Map(), recs([['a', { current: c('a', 'running'), restartCount: 0 }]])), 'Running');
  });
  it('ends Succeeded or Failed by restart policy', () => {
    const done = recs([['a', { current: c('a', 'exited', 0), restartCount: 0 }]]);
    const failed = recs([['a', { current: c('a', 'exited', 3), restartCount: 0 }]]);
    assert.equal(podPhase(pod('Never'), new Map(), done), 'Succeeded');
    assert.equal(podPhase(pod('Never'), new Map(), failed), 'Failed');
    assert.equal(podPhase(pod('OnFailure'), new Map(), failed), 'Running');
    assert.equal(podPhase(pod('OnFailure'), new Map(), done), 'Succeeded');
    assert.equal(podPhase(pod('Always'), new Map(), done), 'Running');
  });
  it('waits for init containers in order; a failed init with Never fails the pod', () => {
    const p = pod('Never', ['a'], ['i1']);
    assert.equal(podPhase(p, recs([['i1', { current: c('i1', 'running'), restartCount: 0 }]]), new Map()), 'Pending');
    assert.equal(podPhase(p, recs([['i1', { current: c('i1', 'exited', 1), restartCount: 0 }]]), new Map()), 'Failed');
  });
});

describe('pod status', () => {
  it('reports Ready, container states, IPs and CrashLoopBackOff', () => {
    const now = new Date(10_000);
    const running = computePodStatus({ pod: pod('Always'), runtimeName: 'simulated', hostIP: '127.1.0.1', podIP: '10.42.0.5', init: new Map(), app: recs([['a', { current: c('a', 'running'), restartCount: 0 }]]), now });
    assert.equal(running.phase, 'Running');
    assert.equal(running.podIP, '10.42.0.5');
    assert.equal(running.conditions.find((x: any) => x.type === 'Ready').status, 'True');
    assert.ok(running.containerStatuses[0].state.running);
    assert.equal(running.containerStatuses[0].containerID, 'simulated://id-a-running');

    const crashing = computePodStatus({ pod: pod('Always'), runtimeName: 'simulated', hostIP: 'h', init: new Map(), app: recs([['a', { current: c('a', 'exited', 1), restartCount: 2, backoffUntil: 20_000, backoffSeconds: 20 }]]), now });
    assert.equal(crashing.containerStatuses[0].state.waiting.reason, 'CrashLoopBackOff');
    assert.equal(crashing.containerStatuses[0].lastState.terminated.exitCode, 1);
    assert.equal(crashing.containerStatuses[0].restartCount, 2);
    assert.equal(crashing.conditions.find((x: any) => x.type === 'Ready').status, 'False');
  });
});

describe('simulated commands', () => {
  const cfg = (command: string[], podAnnotations: Record<string, string> = {}) => ({ name: 'c', image: 'busybox', command, podAnnotations });
  it('derives exit code and duration from the command line', () => {
    assert.deepEqual(planFor(cfg(['sh', '-c', 'exit 3'])), { exitCode: 3, durationMs: 0 });
    assert.deepEqual(planFor(cfg(['sleep', '2'])), { exitCode: 0, durationMs: 2000 });
    assert.deepEqual(planFor(cfg(['sh', '-c', 'sleep 1; exit 42'])), { exitCode: 42, durationMs: 1000 });
    assert.deepEqual(planFor(cfg(['sleep', 'inf'])), {});
    assert.deepEqual(planFor(cfg([])), {});
    assert.deepEqual(planFor(cfg(['sh', '-c', 'true'])), { exitCode: 0, durationMs: 0 });
    assert.deepEqual(planFor(cfg(['/bin/sh', '-c', 'echo hello from the job'])), { exitCode: 0, durationMs: 0 });
    assert.deepEqual(planFor(cfg(['false'])), { exitCode: 1, durationMs: 0 });
    assert.deepEqual(planFor(cfg(['sh', '-c', 'echo hi; while true; do :; done'])), {});
    assert.deepEqual(planFor(cfg([], { 'skiff.dev/simulate-exit-code': '7' })), { exitCode: 7, durationMs: 0 });
  });
});

describe('pod conditions (kubelet status generation)', () => {
  const running = () => recs([['a', { current: c('a', 'running'), restartCount: 0 }]]);
  const cond = (st: any, type: string) => st.conditions.find((x: any) => x.type === type);
  it('Ready waits for readiness gates; conditions owned by others are kept', () => {
    const p: any = pod('Always');
    p.spec.readinessGates = [{ conditionType: 'example.com/lb' }];
    p.status.conditions = [{ type: 'DisruptionTarget', status: 'True', reason: 'X' }];
    let st = computePodStatus({ pod: p, runtimeName: 's', hostIP: 'h', podIP: '10.42.0.5', init: new Map(), app: running(), now: new Date(0) });
    assert.equal(cond(st, 'ContainersReady').status, 'True');
    assert.equal(cond(st, 'Ready').reason, 'ReadinessGatesNotReady');
    assert.equal(cond(st, 'Ready').message, 'corresponding condition of pod readiness gate "example.com/lb" does not exist.');
    assert.equal(cond(st, 'DisruptionTarget').reason, 'X');
    p.status.conditions = [...st.conditions, { type: 'example.com/lb', status: 'True' }];
    st = computePodStatus({ pod: p, runtimeName: 's', hostIP: 'h', podIP: '10.42.0.5', init: new Map(), app: running(), now: new Date(0) });
    assert.equal(cond(st, 'Ready').status, 'True');
    assert.equal(cond(st, 'example.com/lb').status, 'True');
  });
  it('a finished pod: PodCompleted, sandbox condition False', () => {
    const st = computePodStatus({ pod: pod('Never'), runtimeName: 's', hostIP: 'h', podIP: '10.42.0.5', init: new Map(), app: recs([['a', { current: c('a', 'exited', 0), restartCount: 0 }]]), now: new Date(0) });
    assert.equal(st.phase, 'Succeeded');
    assert.equal(cond(st, 'Ready').reason, 'PodCompleted');
    assert.equal(cond(st, 'Initialized').reason, 'PodCompleted');
    assert.equal(cond(st, 'PodReadyToStartContainers').status, 'False');
    const failed = computePodStatus({ pod: pod('Never'), runtimeName: 's', hostIP: 'h', podIP: '10.42.0.5', init: new Map(), app: recs([['a', { current: c('a', 'exited', 1), restartCount: 0 }]]), now: new Date(0) });
    assert.equal(cond(failed, 'ContainersReady').reason, 'PodFailed');
  });
});
