import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goDurationMs, imageEvent, pullBackOffEvents, pullFailedEvents } from './container-events.js';

describe('kubelet container events', () => {
  it('prints durations as Go does, truncated to milliseconds', () => {
    assert.equal(goDurationMs(0), '0s');
    assert.equal(goDurationMs(313.9), '313ms');
    assert.equal(goDurationMs(1627), '1.627s');
    assert.equal(goDurationMs(1600), '1.6s');
    assert.equal(goDurationMs(2000), '2s');
    assert.equal(goDurationMs(62_500), '1m2.5s');
    assert.equal(goDurationMs(3_600_000), '1h0m0s');
  });
  it('names image events as upstream', () => {
    assert.deepEqual(imageEvent('busybox', { kind: 'present' }), { type: 'Normal', reason: 'Pulled', message: 'Container image "busybox" already present on machine' });
    assert.deepEqual(imageEvent('busybox', { kind: 'pulling' }), { type: 'Normal', reason: 'Pulling', message: 'Pulling image "busybox"' });
    assert.equal(imageEvent('busybox', { kind: 'pulled', pullMs: 1627, totalMs: 1700, size: 4269694 }).message, 'Successfully pulled image "busybox" in 1.627s (1.7s including waiting). Image size: 4269694 bytes.');
  });
  it('reports pull failures with the waiting reason', () => {
    assert.deepEqual(
      pullFailedEvents('ErrImagePull', 'Failed to pull image "x": denied').map((e) => `${e.type} ${e.reason} ${e.message}`),
      ['Warning Failed Failed to pull image "x": denied', 'Warning Failed Error: ErrImagePull'],
    );
    assert.equal(pullFailedEvents('ErrImageNeverPull', 'm')[0].reason, 'ErrImageNeverPull');
    assert.equal(pullFailedEvents('InvalidImageName', 'm')[0].reason, 'InspectFailed');
    assert.deepEqual(pullBackOffEvents('x').map((e) => `${e.type} ${e.reason} ${e.message}`), ['Normal BackOff Back-off pulling image "x"', 'Warning Failed Error: ImagePullBackOff']);
  });
});
