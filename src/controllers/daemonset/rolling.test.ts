import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeShouldRunDaemonPod, surgeAndUnavailable } from './placement.js';
import { rollingUpdate } from './rolling.js';

const pod = (name: string, hash: string, isReady = true, extra: any = {}) =>
  Object.freeze({ metadata: { name, labels: { 'controller-revision-hash': hash }, ...extra }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False' }] } });
const input = (nodes: any[][], maxSurge: number, maxUnavailable: number) => ({ nodes: nodes.map((pods, i) => ({ node: `n${i}`, pods })), hash: 'new', maxSurge, maxUnavailable, minReadySeconds: 0, now: 0 });

describe('DaemonSet rolling update arithmetic', () => {
  it('without surge deletes old available pods up to maxUnavailable minus what is already unavailable', () => {
    // 5 nodes, maxUnavailable 2: n0's new pod is not ready yet (1 unavailable), so one more old pod goes.
    const r = rollingUpdate(input([[pod('a', 'new', false)], [pod('b', 'old')], [pod('c', 'old')], [pod('d', 'old')], [pod('e', 'new')]], 0, 2));
    assert.deepEqual(r.deletes.map((p) => p.metadata.name), ['b']);
    assert.deepEqual(r.createOn, []);
  });
  it('always replaces old pods that are themselves unavailable, and counts empty nodes as unavailable', () => {
    const r = rollingUpdate(input([[], [pod('b', 'old', false)], [pod('c', 'old')]], 0, 1));
    assert.deepEqual(r.deletes.map((p) => p.metadata.name), ['b']);
  });
  it('with surge creates new pods next to old ones up to maxSurge and deletes the old once the new is available', () => {
    const r = rollingUpdate(input([[pod('a', 'old'), pod('a2', 'new')], [pod('b', 'old'), pod('b2', 'new', false)], [pod('c', 'old')], [pod('d', 'old')]], 2, 0));
    assert.deepEqual(r.deletes.map((p) => p.metadata.name), ['a']);
    assert.deepEqual(r.createOn, ['n2'], 'b is still surging: one more node may surge');
  });
  it('resolves maxSurge/maxUnavailable against the desired nodes, rounding percentages up', () => {
    const ds = (ru: any) => ({ spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } } });
    assert.deepEqual(surgeAndUnavailable(ds({ maxUnavailable: '10%', maxSurge: 0 }), 3), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(surgeAndUnavailable(ds({ maxUnavailable: '50%', maxSurge: 0 }), 5), { maxSurge: 0, maxUnavailable: 3 });
    assert.deepEqual(surgeAndUnavailable(ds({ maxUnavailable: 0, maxSurge: '20%' }), 6), { maxSurge: 2, maxUnavailable: 0 });
    assert.deepEqual(surgeAndUnavailable(ds({ maxUnavailable: '0%', maxSurge: 0 }), 6), { maxSurge: 0, maxUnavailable: 1 });
  });
});

describe('nodeShouldRunDaemonPod', () => {
  const ds = (spec: any = {}) => ({ spec: { template: { spec } } });
  const node = (taints: any[] = [], labels: any = {}) => ({ metadata: { name: 'n', labels }, spec: { taints } });
  it('keeps a running pod on a node that gains a NoSchedule taint, but not a NoExecute one', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(ds(), node([{ key: 'k', effect: 'NoSchedule' }])), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(ds(), node([{ key: 'k', effect: 'NoExecute' }])), { shouldRun: false, shouldContinueRunning: false });
  });
  it('tolerates the node conditions upstream daemons tolerate, network-unavailable only with hostNetwork', () => {
    assert.equal(nodeShouldRunDaemonPod(ds(), node([{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }])).shouldRun, true);
    const net = [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }];
    assert.equal(nodeShouldRunDaemonPod(ds(), node(net)).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(ds({ hostNetwork: true }), node(net)).shouldRun, true);
  });
  it('honours nodeSelector, node affinity matchFields and nodeName', () => {
    assert.equal(nodeShouldRunDaemonPod(ds({ nodeSelector: { a: 'b' } }), node([], { a: 'c' })).shouldRun, false);
    const aff = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n'] }] }] } } };
    assert.equal(nodeShouldRunDaemonPod(ds({ affinity: aff }), node()).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(ds({ nodeName: 'other' }), node()).shouldContinueRunning, false);
  });
});
