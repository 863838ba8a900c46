import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedRuntime } from '../runtime/simulated.js';
import { gracePeriodFor, killContainer } from './kill.js';

describe('killContainer (kubelet killContainer)', () => {
  it('picks the grace period as upstream: deletion, then the probe, then the pod', () => {
    const c = { name: 'app', livenessProbe: { terminationGracePeriodSeconds: 5 }, startupProbe: {} };
    const pod = { metadata: {}, spec: { terminationGracePeriodSeconds: 60 } };
    assert.equal(gracePeriodFor(pod, c, 'liveness'), 5);
    assert.equal(gracePeriodFor(pod, c, 'startup'), 60);
    assert.equal(gracePeriodFor({ metadata: {}, spec: {} }, c, 'deletion'), 30, 'default 30');
    assert.equal(gracePeriodFor({ metadata: { deletionTimestamp: 'x', deletionGracePeriodSeconds: 7 }, spec: { terminationGracePeriodSeconds: 60 } }, c, 'liveness'), 7);
  });

  it('abandons a preStop hook that outlives the grace period and still leaves 2 s for SIGTERM', async () => {
    const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/24' });
    const sb = await rt.runPodSandbox({ podUid: 'u', namespace: 'd', name: 'p', hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'app', image: 'busybox', command: ['sleep', 'inf'], podAnnotations: {} });
    await rt.startContainer(id);
    const events: string[] = [];
    const container = { name: 'app', lifecycle: { preStop: { exec: { command: ['sleep', '30'] } } } };
    const t0 = Date.now();
    await killContainer({
      pod: { metadata: { name: 'p', namespace: 'd', uid: 'u' }, spec: { terminationGracePeriodSeconds: 1 } },
      target: { runtime: rt, containerId: id, container, podIP: '', network: false },
      reason: 'deletion',
      message: 'Stopping container app',
      event: (type, reason, message) => events.push(`${type} ${reason} ${message}`),
    });
    assert.ok(Date.now() - t0 >= 900, 'the hook had the whole grace period');
    assert.equal(rt.history.find((e) => e.op === 'sigterm')?.detail, '2');
    assert.deepEqual(events[0], 'Normal Killing Stopping container app');
    assert.equal((await rt.containerStatus(id))?.exitCode, 143);
    await rt.close();
  });
});
