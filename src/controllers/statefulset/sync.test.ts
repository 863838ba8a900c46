import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Expectations } from '../common/expectations.js';
import { syncStatefulSet, type StsSyncDeps } from './sync.js';

function fixture(pods: any[]) {
  const created: string[] = [];
  const deleted: string[] = [];
  const client: any = {
    create: async (o: any) => {
      if (o.kind === 'Pod') created.push(o.metadata.name);
      return o;
    },
    get: async () => ({}),
    delete: async (_ns: string, name: string) => void deleted.push(name),
    patch: async () => ({}),
    updateStatus: async (o: any) => o,
  };
  const deps: StsSyncDeps = {
    pods: client,
    sets: client,
    revisions: client,
    claims: client,
    listPods: () => pods,
    listRevisions: () => [],
    getClaim: () => undefined,
    expectations: new Expectations(() => 0),
    recorder: { event: () => {} } as any,
    now: () => 0,
  };
  return { deps, created, deleted };
}

const set = (replicas: number, policy = 'OrderedReady') =>
  Object.freeze({
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 1 },
    spec: { replicas, podManagementPolicy: policy, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } },
  });
const pod = (ordinal: number, ready: boolean) =>
  Object.freeze({
    metadata: { name: `web-${ordinal}`, namespace: 'default', uid: `p${ordinal}`, labels: { app: 'web' }, ownerReferences: [{ kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true }] },
    status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

describe('syncStatefulSet', () => {
  it('OrderedReady creates the next ordinal only once the previous one is Ready', async () => {
    let f = fixture([pod(0, false)]);
    await syncStatefulSet(f.deps, 'default/web', set(3));
    assert.deepEqual(f.created, []);
    f = fixture([pod(0, true)]);
    await syncStatefulSet(f.deps, 'default/web', set(3));
    assert.deepEqual(f.created, ['web-1']);
  });
  it('Parallel creates every missing ordinal at once', async () => {
    const f = fixture([pod(0, false)]);
    await syncStatefulSet(f.deps, 'default/web', set(3, 'Parallel'));
    assert.deepEqual(f.created, ['web-1', 'web-2']);
  });
  it('OrderedReady scale-down removes the highest ordinal first, even when the condemned pods are unhealthy', async () => {
    const f = fixture([pod(0, true), pod(1, false), pod(2, false)]);
    await syncStatefulSet(f.deps, 'default/web', set(1));
    assert.deepEqual(f.deleted, ['web-2']);
  });
  it('does not act again on a stale view until its own create is observed', async () => {
    const f = fixture([pod(0, true)]);
    await syncStatefulSet(f.deps, 'default/web', set(3));
    await syncStatefulSet(f.deps, 'default/web', set(3));
    assert.deepEqual(f.created, ['web-1']);
  });
});
