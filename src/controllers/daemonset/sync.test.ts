import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Expectations } from '../common/expectations.js';
import { syncDaemonSet, type DsSyncDeps } from './sync.js';

/** Fake clients recording writes; the listers return whatever (possibly stale) view the test gives. */
function fixture(view: { pods: any[]; nodes: any[] }) {
  const creates: any[] = [];
  const deletes: string[] = [];
  let n = 0;
  const client = (kind: string): any => ({
    create: async (o: any) => {
      if (kind === 'pods') creates.push(o);
      return { ...o, metadata: { ...o.metadata, name: o.metadata.name ?? `${o.metadata.generateName}${n++}`, uid: `u${n}` } };
    },
    delete: async (_ns: string, name: string) => void deletes.push(name),
    patch: async () => ({}),
    updateStatus: async (o: any) => o,
  });
  const deps: DsSyncDeps = {
    pods: client('pods'),
    daemonsets: client('daemonsets'),
    revisions: client('revisions'),
    listPods: () => view.pods,
    listNodes: () => view.nodes,
    listRevisions: () => [],
    expectations: new Expectations(() => 0),
    backoff: new Map(),
    recorder: { event: () => {} } as any,
    now: () => 0,
  };
  return { deps, creates, deletes };
}

const ds = Object.freeze({
  metadata: { name: 'd', namespace: 'default', uid: 'ds-uid', generation: 1 },
  spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } },
});
const node = (name: string) => Object.freeze({ metadata: { name }, spec: {} });

describe('syncDaemonSet', () => {
  it('does not create again from a stale cache until its own creates are observed', async () => {
    const view = { pods: [], nodes: [node('a'), node('b')] };
    const f = fixture(view);
    await syncDaemonSet(f.deps, 'default/d', ds);
    assert.equal(f.creates.length, 2);
    assert.deepEqual(
      f.creates.map((p) => p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]).sort(),
      ['a', 'b'],
    );
    // The informer has not seen the pods yet: a burst of events re-syncs with the same empty view.
    await syncDaemonSet(f.deps, 'default/d', ds);
    await syncDaemonSet(f.deps, 'default/d', ds);
    assert.equal(f.creates.length, 2, 'no duplicate pods');
    f.deps.expectations.creationObserved('default/d');
    f.deps.expectations.creationObserved('default/d');
    await syncDaemonSet(f.deps, 'default/d', ds);
    assert.equal(f.creates.length, 4, 'once satisfied, the (still empty) view is trusted again');
  });

  it('deletes the pods of a node that is gone, at once', async () => {
    const orphan = { metadata: { name: 'd-x', namespace: 'default', uid: 'p1', labels: { app: 'd' }, ownerReferences: [{ kind: 'DaemonSet', name: 'd', uid: 'ds-uid', controller: true }] }, spec: { nodeName: 'gone' }, status: { phase: 'Running' } };
    const f = fixture({ pods: [orphan], nodes: [] });
    await syncDaemonSet(f.deps, 'default/d', ds);
    assert.deepEqual(f.deletes, ['d-x']);
  });
});
