/**
 * The pod garbage collector end to end, with kubectl against a `skiff server` running
 * simulated nodes (the collector's period and node quarantine shortened by flags): the
 * pods of a deleted Node go away, a pod bound to a node that never existed is marked
 * Failed with DisruptionTarget/DeletionByPodGC before its forced deletion, and only the
 * newest --terminated-pod-gc-threshold finished pods are kept.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

const pinned = (name: string, node: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default${extra}}
spec:
  nodeName: ${node}
  containers: [{name: c, image: busybox, command: [sleep, inf]}]
`;

const finishing = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: done}}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
`;

describe('pod garbage collector', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '2', '--terminated-pod-gc-threshold', '2', '--pod-gc-period', '500ms', '--pod-gc-quarantine', '2s']);
    await c.until('2 nodes', async () => (await c.getJson('/api/v1/nodes')).items.length === 2);
  });
  after(async () => {
    assert.equal(await c?.stop(), 0);
    await c?.destroy();
  });

  const podNames = async (selector = '') => (await c.k(['get', 'pods', '-n', 'default', '-o', 'name', ...(selector ? ['-l', selector] : [])])).split('\n').filter(Boolean).sort();

  it('deletes the pods of a deleted Node, and leaves the other node\'s pods alone', async () => {
    await c.k(['apply', '-f', '-'], { input: [pinned('gone-a', 'sim-node-1'), pinned('gone-b', 'sim-node-1'), pinned('stays', 'sim-node-0')].join('---\n') });
    await c.k(['wait', '--for=condition=Ready', 'pod/gone-a', 'pod/gone-b', 'pod/stays', '--timeout=30s']);
    await c.k(['delete', 'node', 'sim-node-1']);
    await c.until('the deleted node\'s pods gone', async () => !(await podNames()).some((n) => n.startsWith('pod/gone-')), 30_000);
    assert.deepEqual(await podNames(), ['pod/stays']);
    assert.equal(await c.k(['get', 'pod', 'stays', '-o', 'jsonpath={.status.phase}']), 'Running');
  });

  it('marks an orphan Failed with DisruptionTarget reason DeletionByPodGC, then force-deletes it', async () => {
    // The finalizer keeps the deleted pod readable, to see what the collector wrote.
    await c.k(['apply', '-f', '-'], { input: pinned('ghost', 'no-such-node', ', finalizers: [example.com/hold]') });
    const deleted = await c.until(
      'the orphan deleted',
      async () => {
        const p = JSON.parse(await c.k(['get', 'pod', 'ghost', '-o', 'json']));
        return p.metadata.deletionTimestamp && p;
      },
      30_000,
    );
    assert.equal(deleted.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(deleted.status.phase, 'Failed');
    const cond = deleted.status.conditions.find((x: any) => x.type === 'DisruptionTarget');
    assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);
    await c.k(['patch', 'pod', 'ghost', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await c.until('the orphan gone', async () => !(await podNames()).includes('pod/ghost'));
  });

  it('keeps only the newest --terminated-pod-gc-threshold (2) finished pods', async () => {
    // Made in this order: with whole-second creation times, names break ties the same way.
    await c.k(['apply', '-f', '-'], { input: ['done-1', 'done-2', 'done-3', 'done-4', 'done-5'].map(finishing).join('---\n') });
    await c.until(
      'done-4 and done-5 Succeeded, the older ones deleted',
      async () => {
        const pods = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Ddone')).items;
        return pods.length === 2 && pods.every((p: any) => p.status.phase === 'Succeeded');
      },
      30_000,
    );
    assert.deepEqual(await podNames('app=done'), ['pod/done-4', 'pod/done-5']);
    assert.deepEqual(await podNames(), ['pod/done-4', 'pod/done-5', 'pod/stays'], 'the running pod is no terminated pod');
  });
});
