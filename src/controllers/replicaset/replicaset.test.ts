import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rankForDeletion } from './ranking.js';
import { computeStatus } from './sync.js';
import { Expectations, EXPECTATIONS_TTL_MS } from '../common/expectations.js';
import { subnet } from '../nodeipam/controller.js';
import { OwnerGraph } from '../garbagecollector/graph.js';

const p = (name: string, o: { node?: string; phase?: string; ready?: boolean; created?: string; restarts?: number; readySince?: string } = {}) => ({
  metadata: { name, namespace: 'd', uid: name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', labels: { app: 'x' } },
  spec: { nodeName: o.node },
  status: {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }],
    containerStatuses: [{ restartCount: o.restarts ?? 0 }],
  },
});

describe('ReplicaSet scale-down order', () => {
  it('deletes unscheduled, then pending, then not-ready, then newer pods first', () => {
    const pods = [
      p('old-ready', { node: 'n1', created: '2026-01-01T00:00:00Z' }),
      p('new-ready', { node: 'n2', created: '2026-01-02T00:00:00Z' }),
      p('not-ready', { node: 'n3', ready: false }),
      p('pending', { node: 'n4', phase: 'Pending', ready: false }),
      p('unscheduled', { phase: 'Pending', ready: false }),
    ];
    assert.deepEqual(rankForDeletion(pods, pods).map((x) => x.metadata.name), ['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready']);
  });
  it('prefers pods on nodes crowded with siblings', () => {
    const pods = [p('alone', { node: 'n1' }), p('crowded-a', { node: 'n2' }), p('crowded-b', { node: 'n2' })];
    assert.equal(rankForDeletion(pods, pods)[0].metadata.name.startsWith('crowded'), true);
  });
});

describe('ReplicaSet status', () => {
  it('counts ready, available (minReadySeconds) and fully labelled pods', () => {
    const rs = { metadata: { generation: 4 }, spec: { template: { metadata: { labels: { app: 'x', tier: 'web' } } } }, status: {} };
    const now = Date.parse('2026-01-01T00:00:30Z');
    const pods = [p('a', { readySince: '2026-01-01T00:00:00Z' }), p('b', { readySince: '2026-01-01T00:00:25Z' }), p('c', { ready: false })];
    (pods[0].metadata.labels as any).tier = 'web';
    const s = computeStatus(rs, pods, 10, now);
    assert.deepEqual(s, { replicas: 3, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
  });
});

describe('expectations', () => {
  it('are satisfied once every expected create and delete was observed, or after the TTL', () => {
    let now = 0;
    const e = new Expectations(() => now);
    e.expectCreations('rs', 2);
    assert.equal(e.satisfied('rs'), false);
    e.creationObserved('rs');
    e.creationObserved('rs');
    assert.equal(e.satisfied('rs'), true);
    e.expectDeletions('rs', ['d/a']);
    e.deletionObserved('rs', 'd/other');
    assert.equal(e.satisfied('rs'), false);
    now = EXPECTATIONS_TTL_MS + 1;
    assert.equal(e.satisfied('rs'), true);
  });
});

describe('node IPAM', () => {
  it('hands out /24s of the cluster CIDR in order', () => {
    assert.equal(subnet('10.42.0.0/16', 24, 0), '10.42.0.0/24');
    assert.equal(subnet('10.42.0.0/16', 24, 3), '10.42.3.0/24');
    assert.equal(subnet('10.42.0.0/16', 24, 256), undefined);
  });
});

describe('owner graph', () => {
  it('tracks dependents per owner uid, including owners never seen', () => {
    const g = new OwnerGraph();
    const ref = (uid: string) => ({ group: '', version: 'v1', plural: 'pods', namespaced: true, namespace: 'd', name: uid, uid });
    g.upsert(ref('pod1'), [{ uid: 'rs1' }]);
    g.upsert(ref('pod2'), [{ uid: 'rs1' }]);
    assert.deepEqual(g.dependentsOf('rs1').map((n) => n.ref.uid).sort(), ['pod1', 'pod2']);
    g.upsert(ref('pod2'), []);
    assert.deepEqual(g.dependentsOf('rs1').map((n) => n.ref.uid), ['pod1']);
    g.remove('pod1');
    assert.deepEqual(g.dependentsOf('rs1'), []);
  });
});
