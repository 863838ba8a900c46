import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry } from '../api/index.js';
import { MemoryBackend } from '../store/memory.js';
import { EndpointLeaseReconciler, portGroups } from './endpoint-leases.js';
import { ObjectStore } from './object-store.js';

/** Two or more "servers" on one store, with one injected clock. */
function fixture() {
  const registry = buildRegistry();
  const store = new ObjectStore(new MemoryBackend());
  let now = Date.parse('2026-01-01T00:00:00Z');
  const server = (identity: string, address: string, port = 6443) =>
    new EndpointLeaseReconciler({
      registry,
      store,
      service: { namespace: 'default', name: 'kubernetes' },
      ports: (p) => [{ name: 'https', port: p, protocol: 'TCP' }],
      sliceLabels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      writeEndpoints: true,
      identity,
      address,
      port,
      ttlMs: 15_000,
      now: () => now,
    });
  const get = (group: string, plural: string, name: string) => store.tryGet(registry.lookup(group, 'v1', plural)!, 'default', name);
  return {
    server,
    tick: (ms: number) => (now += ms),
    /** The Endpoints' subsets as "ip,ip:port" strings. */
    async subsets(): Promise<string[]> {
      const ep = await get('', 'endpoints', 'kubernetes');
      return (ep?.subsets ?? []).map((s: any) => `${s.addresses.map((a: any) => a.ip).join(',')}:${s.ports.map((p: any) => p.port).join(',')}`);
    },
    async slice(name = 'kubernetes'): Promise<string[] | undefined> {
      const s = await get('discovery.k8s.io', 'endpointslices', name);
      return s && s.endpoints.map((e: any) => `${e.addresses[0]}:${s.ports[0].port}`);
    },
  };
}

describe('lease endpoint reconciler', () => {
  it('lists every live server, sorted, in the Endpoints and the EndpointSlice', async () => {
    const f = fixture();
    const b = f.server('b', '10.0.0.2');
    const a = f.server('a', '10.0.0.1');
    await b.reconcile();
    assert.deepEqual(await f.subsets(), ['10.0.0.2:6443']);
    await a.reconcile();
    assert.deepEqual(await f.subsets(), ['10.0.0.1,10.0.0.2:6443']);
    assert.deepEqual(await f.slice(), ['10.0.0.1:6443', '10.0.0.2:6443']);
    // b's next renewal agrees, and does not take a out.
    await b.reconcile();
    assert.deepEqual(await f.subsets(), ['10.0.0.1,10.0.0.2:6443']);
  });

  it('drops a server that stopped cleanly at once, and one that died once its lease expired', async () => {
    const f = fixture();
    const [a, b, c] = [f.server('a', '10.0.0.1'), f.server('b', '10.0.0.2'), f.server('c', '10.0.0.3')];
    for (const s of [a, b, c]) await s.reconcile();
    await c.stop();
    assert.deepEqual(await f.subsets(), ['10.0.0.1,10.0.0.2:6443']);
    // b dies: its lease stays until the TTL is over.
    f.tick(15_000);
    await a.reconcile();
    assert.deepEqual(await f.subsets(), ['10.0.0.1,10.0.0.2:6443'], 'still within the TTL');
    f.tick(1);
    await a.reconcile();
    assert.deepEqual(await f.subsets(), ['10.0.0.1:6443']);
    assert.deepEqual(await f.slice(), ['10.0.0.1:6443']);
    // The last server leaving leaves the endpoints as they are (upstream refuses to erase them all).
    await a.stop();
    assert.deepEqual(await f.subsets(), ['10.0.0.1:6443']);
  });

  it('keeps servers on one address with different ports apart: a subset and a slice per port', async () => {
    const f = fixture();
    const [a, b] = [f.server('a', '127.0.0.1', 40001), f.server('b', '127.0.0.1', 40002)];
    await a.reconcile();
    await b.reconcile();
    assert.deepEqual(await f.subsets(), ['127.0.0.1:40001', '127.0.0.1:40002']);
    assert.deepEqual(await f.slice(), ['127.0.0.1:40001']);
    assert.deepEqual(await f.slice('kubernetes-40002'), ['127.0.0.1:40002']);
    await a.stop();
    assert.deepEqual(await f.subsets(), ['127.0.0.1:40002']);
    assert.deepEqual(await f.slice(), ['127.0.0.1:40002']);
    assert.equal(await f.slice('kubernetes-40002'), undefined, 'the extra slice goes with its port');
  });

  it('a server restarted on another port replaces its old lease at once', async () => {
    const f = fixture();
    await f.server('a', '127.0.0.1', 40001).reconcile();
    await f.server('a', '127.0.0.1', 40005).reconcile();
    assert.deepEqual(await f.subsets(), ['127.0.0.1:40005']);
  });

  it('groups live leases by port', () => {
    const lease = (ip: string, port: number, renew: string) => ({ metadata: { annotations: { 'skiff.io/endpoint-address': ip, 'skiff.io/endpoint-port': String(port) } }, spec: { renewTime: renew, leaseDurationSeconds: 15 } });
    const now = Date.parse('2026-01-01T00:00:20Z');
    const groups = portGroups([lease('10.0.0.9', 6443, '2026-01-01T00:00:10.000000Z'), lease('10.0.0.10', 6443, '2026-01-01T00:00:10.000000Z'), lease('10.0.0.3', 6443, '2026-01-01T00:00:01.000000Z'), lease('10.0.0.4', 7443, '2026-01-01T00:00:19.000000Z')], now);
    assert.deepEqual(groups, [
      { port: 6443, ips: ['10.0.0.10', '10.0.0.9'] },
      { port: 7443, ips: ['10.0.0.4'] },
    ]);
  });
});
