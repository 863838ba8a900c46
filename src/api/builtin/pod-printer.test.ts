import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podRestarts, podStatusReason } from './pod-printer.js';

const deleted = { deletionTimestamp: '2026-01-01T00:00:00Z' };
const terminated = (exitCode: number, reason: string) => ({ name: 'c', ready: false, state: { terminated: { exitCode, reason } } });

test('a deleted pod reads Terminating unless it already finished', () => {
  const running = { metadata: deleted, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] } };
  assert.equal(podStatusReason(running), 'Terminating');
  const done = { metadata: deleted, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Succeeded', containerStatuses: [terminated(0, 'Completed')] } };
  assert.equal(podStatusReason(done), 'Completed');
  const failed = { metadata: deleted, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Failed', containerStatuses: [terminated(1, 'Error')] } };
  assert.equal(podStatusReason(failed), 'Error');
  assert.equal(podStatusReason({ metadata: deleted, status: { phase: 'Running', reason: 'NodeLost' } }), 'Unknown');
});

test('init containers: Init:i/n, then the failing init container reason', () => {
  const spec = { initContainers: [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'c' }] };
  const pod = { metadata: {}, spec, status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'b', state: { running: {} } }] } };
  assert.equal(podStatusReason(pod), 'Init:1/2');
  pod.status.initContainerStatuses[1] = { name: 'b', state: { waiting: { reason: 'CrashLoopBackOff' } } } as any;
  assert.equal(podStatusReason(pod), 'Init:CrashLoopBackOff');
});

test('RESTARTS: init restarts while initializing; sidecar and container restarts once initialized', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const lastState = { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:05:00Z' } };
  const spec = { initContainers: [{ name: 'init' }, { name: 'side', restartPolicy: 'Always' }], containers: [{ name: 'c' }] };
  const initDone = { name: 'init', restartCount: 2, lastState, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  const side = { name: 'side', restartCount: 1, started: true, state: { running: {} } };
  const pod: any = { metadata: {}, spec, status: { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: [initDone, side], containerStatuses: [{ name: 'c', restartCount: 3, ready: true, state: { running: {} } }] } };
  assert.equal(podRestarts(pod, now), '4');
  pod.status = { phase: 'Pending', initContainerStatuses: [{ ...initDone, state: { waiting: { reason: 'CrashLoopBackOff' } } }] };
  assert.equal(podRestarts(pod, now), '2 (5m ago)');
  assert.equal(podStatusReason(pod), 'Init:CrashLoopBackOff');
});
