import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InformerFactory } from '../../client/clientset.js';
import { silentLogger } from '../../util/log.js';
import { startTestApiServer } from '../common/test-api-server.js';
import { PodGcController } from './controller.js';
import { OrphanQuarantine, terminatedOverThreshold } from './select.js';

const pod = (name: string, o: { phase?: string; reason?: string; created?: string } = {}) => ({ metadata: { name, namespace: 'default', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' }, spec: {}, status: { phase: o.phase ?? 'Running', reason: o.reason } });

describe('pod GC selection', () => {
  it('deletes terminated pods over the threshold: evicted first, then oldest, then by name', () => {
    const pods = [
      pod('b', { phase: 'Succeeded', created: '2026-01-01T00:00:05Z' }),
      pod('a', { phase: 'Failed', created: '2026-01-01T00:00:05Z' }),
      pod('old', { phase: 'Succeeded', created: '2026-01-01T00:00:01Z' }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: '2026-01-01T00:00:09Z' }),
      pod('running', { phase: 'Running', created: '2026-01-01T00:00:00Z' }),
    ];
    Object.freeze(pods);
    assert.deepEqual(terminatedOverThreshold(pods, 1).map((p) => p.metadata.name), ['evicted', 'old', 'a']);
    assert.deepEqual(terminatedOverThreshold(pods, 4), []);
    assert.deepEqual(terminatedOverThreshold(pods, 0), [], 'a threshold of 0 keeps every pod');
  });

  it('quarantines a missing node before it is due', () => {
    const q = new OrphanQuarantine(1000);
    const pods = [{ metadata: { name: 'p' }, spec: { nodeName: 'gone' } }];
    assert.deepEqual(q.due(pods, () => false, 0), []);
    assert.deepEqual(q.due(pods, () => false, 999), []);
    assert.deepEqual(q.due(pods, () => false, 1000), ['gone']);
    // Seen again in between: the clock starts over.
    assert.deepEqual(q.due(pods, () => true, 1100), []);
    assert.deepEqual(q.due(pods, () => false, 1200), []);
    assert.deepEqual(new OrphanQuarantine(0).due(pods, () => false, 0), ['gone']);
  });
});

/** The controller's gc pass over a real in-process API server, with an injected clock. */
async function fixture(o: { quarantineMs: number; threshold?: number; hideNodes?: boolean }) {
  const api = await startTestApiServer();
  const { cs } = api;
  const real = api.informers;
  let now = 0;
  // hideNodes: a node informer that lags behind the API (knows no node at all).
  const emptyNodes = new InformerFactory(cs, silentLogger).informer('nodes');
  const informers = o.hideNodes ? ({ informer: (r: any) => (r === 'nodes' ? emptyNodes : real.informer(r)), start: () => {} } as unknown as InformerFactory) : real;
  const gc = new PodGcController({ cs, informers, log: silentLogger, now: () => now }, { quarantineMs: o.quarantineMs, terminatedPodGcThreshold: o.threshold ?? 12500 });
  real.start(api.signal);
  const pods = cs.resource('pods');
  return {
    cs,
    pods,
    gc,
    tick: (ms: number) => (now += ms),
    /** Waits until the pod and node informers show what the API holds. */
    async synced() {
      const rvs = (items: any[]) => items.map((p: any) => p.metadata.resourceVersion).sort().join();
      for (const kind of ['pods', 'nodes'] as const) {
        const want = rvs((await cs.resource(kind).list()).items);
        let i = 0;
        while (rvs(real.informer(kind).cache.list()) !== want) {
          if (++i > 300) throw new Error(`${kind} informer did not catch up`);
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    },
    close: api.close,
  };
}

const podOn = (name: string, nodeName?: string, finalizers?: string[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', finalizers },
  spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
});

describe('PodGcController.gc', () => {
  it('marks an orphaned pod Failed with DisruptionTarget/DeletionByPodGC and force-deletes it after the quarantine', async () => {
    const f = await fixture({ quarantineMs: 40_000 });
    try {
      await f.cs.resource('nodes').create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'here' } });
      // A finalizer keeps the deleted orphan readable, to see what the collector did to it.
      await f.pods.create(podOn('orphan', 'gone', ['example.com/hold']));
      await f.pods.create(podOn('fine', 'here'));
      await f.pods.create(podOn('orphan-2', 'gone'));
      await f.synced();
      await f.gc.gc();
      f.tick(39_000);
      await f.gc.gc();
      assert.equal((await f.pods.list('default')).items.length, 3, 'nothing deleted within the quarantine');
      f.tick(1_000);
      await f.gc.gc();
      const orphan = await f.pods.get('default', 'orphan');
      assert.ok(orphan.metadata.deletionTimestamp, 'deleted');
      assert.equal(orphan.metadata.deletionGracePeriodSeconds, 0);
      assert.equal(orphan.status.phase, 'Failed');
      const cond = orphan.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
      assert.deepEqual({ status: cond.status, reason: cond.reason, message: cond.message }, { status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
      assert.deepEqual((await f.pods.list('default')).items.map((p: any) => p.metadata.name).sort(), ['fine', 'orphan']);
    } finally {
      await f.close();
    }
  });

  it('asks the API before deleting: a node the cache has not seen yet keeps its pods', async () => {
    const f = await fixture({ quarantineMs: 0, hideNodes: true });
    try {
      await f.cs.resource('nodes').create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'new' } });
      await f.pods.create(podOn('p', 'new'));
      await f.synced();
      await f.gc.gc();
      assert.equal((await f.pods.get('default', 'p')).status?.phase ?? 'Pending', 'Pending');
    } finally {
      await f.close();
    }
  });

  it('force-deletes terminating pods that were never scheduled, and terminated pods over the threshold', async () => {
    const f = await fixture({ quarantineMs: 40_000, threshold: 1 });
    try {
      await f.pods.create(podOn('unscheduled', undefined, ['example.com/hold']));
      await f.pods.delete('default', 'unscheduled');
      for (const name of ['done-1', 'done-2']) {
        await f.pods.create(podOn(name));
        await f.pods.patch('default', name, 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' });
      }
      await f.synced();
      await f.gc.gc();
      const u = await f.pods.get('default', 'unscheduled');
      assert.equal(u.status.phase, 'Failed', 'marked Failed before the forced delete');
      assert.equal(u.metadata.deletionGracePeriodSeconds, 0);
      assert.deepEqual((await f.pods.list('default')).items.map((p: any) => p.metadata.name).sort(), ['done-2', 'unscheduled']);
    } finally {
      await f.close();
    }
  });

  it('force-deletes terminating pods on a NotReady node tainted out-of-service, and only there', async () => {
    const f = await fixture({ quarantineMs: 40_000 });
    try {
      const notReady = { conditions: [{ type: 'Ready', status: 'False' }] };
      const nodes = f.cs.resource('nodes');
      await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'down' }, spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] } });
      await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'slow' } });
      for (const n of ['down', 'slow']) await nodes.patch(undefined, n, 'merge', { status: notReady }, { subresource: 'status' });
      for (const n of ['down', 'slow']) {
        await f.pods.create(podOn(`on-${n}`, n));
        // Graceful deletion of a bound pod: it stays, terminating, until its kubelet finishes it.
        await f.pods.delete('default', `on-${n}`);
      }
      assert.ok((await f.pods.get('default', 'on-down')).metadata.deletionTimestamp);
      await f.synced();
      await f.gc.gc();
      assert.deepEqual((await f.pods.list('default')).items.map((p: any) => p.metadata.name), ['on-slow']);
    } finally {
      await f.close();
    }
  });
});
