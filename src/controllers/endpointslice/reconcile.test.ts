import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planSlices } from './reconcile.js';
import { endpointSubsets } from '../endpoints/controller.js';

const svc = (spec: any = {}) => ({ metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], ...spec } });
function pod(i: number, o: { ready?: boolean; port?: number; deleting?: boolean } = {}): any {
  return {
    metadata: { name: `web-${i}`, namespace: 'default', uid: `uid-${i}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: o.port ?? 8080, protocol: 'TCP' }] }] },
    status: { phase: 'Running', podIP: `10.42.${Math.floor(i / 250)}.${(i % 250) + 1}`, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

describe('EndpointSlice planning', () => {
  it('splits at 100 endpoints per slice and resolves named ports per pod', () => {
    const pods = [...Array.from({ length: 150 }, (_, i) => pod(i)), pod(150, { port: 9090 })];
    const plan = planSlices(svc(), pods, []);
    assert.deepEqual(plan.create.map((s) => s.endpoints.length).sort((a, b) => a - b), [1, 50, 100]);
    const odd = plan.create.find((s) => s.endpoints.length === 1);
    assert.deepEqual(odd.ports, [{ name: 'http', protocol: 'TCP', port: 9090 }]);
    for (const s of plan.create) {
      assert.equal(s.metadata.labels['kubernetes.io/service-name'], 'web');
      assert.equal(s.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
      assert.equal(s.metadata.ownerReferences[0].uid, 'svc-uid');
    }
  });

  it('keeps endpoints where they are, fills room before making slices, and drops emptied slices', () => {
    const first = planSlices(svc(), [pod(1), pod(2)], []).create.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `web-s${i}`, uid: `s${i}` } }));
    assert.equal(first.length, 1);
    const plan = planSlices(svc(), [pod(2), pod(3)], first);
    assert.equal(plan.create.length, 0);
    assert.deepEqual(plan.update[0].endpoints.map((e: any) => e.targetRef.name), ['web-2', 'web-3']);
    const none = planSlices(svc(), [], first);
    // No endpoints: the slice stays as an empty placeholder rather than vanishing.
    assert.equal(none.delete.length, 0);
    assert.deepEqual(none.update[0].endpoints, []);
  });

  it('marks not-ready and terminating endpoints, and publishNotReadyAddresses counts all as ready', () => {
    const [s] = planSlices(svc(), [pod(1, { ready: false }), pod(2, { deleting: true })], []).create;
    assert.deepEqual(s.endpoints.map((e: any) => e.conditions), [
      { ready: false, serving: false, terminating: false },
      { ready: false, serving: true, terminating: true },
    ]);
    const [p] = planSlices(svc({ publishNotReadyAddresses: true }), [pod(1, { ready: false })], []).create;
    assert.equal(p.endpoints[0].conditions.ready, true);
  });

  it('legacy Endpoints: ready and not-ready addresses per port set, terminating pods left out', () => {
    const { subsets } = endpointSubsets(svc(), [pod(2), pod(1, { ready: false }), pod(3, { deleting: true }), pod(4, { port: 9090 })]);
    assert.equal(subsets.length, 2);
    const main = subsets.find((x) => x.ports[0].port === 8080);
    assert.deepEqual(main.addresses.map((a: any) => a.ip), ['10.42.0.3']);
    assert.deepEqual(main.notReadyAddresses.map((a: any) => a.ip), ['10.42.0.2']);
    assert.deepEqual(main.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });
});
