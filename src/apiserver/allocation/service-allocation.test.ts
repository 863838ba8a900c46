import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../store/memory.js';
import { buildRegistry } from '../../api/index.js';
import { ApiError } from '../errors.js';
import { ObjectStore } from '../object-store.js';
import { parsePortRange, ServiceAllocation } from './service-allocation.js';
import { LEAK_GRACE_MS, repairServiceAllocations } from './repair.js';

const svc = (name: string, spec: any) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });
const fieldOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return (e as ApiError).details?.causes?.[0]?.field + ': ' + (e as ApiError).message;
  }
  assert.fail('expected an Invalid error');
};

describe('service ClusterIP and NodePort allocation', () => {
  it('never hands out one IP twice, even to concurrent allocations in a tiny range', async () => {
    const a = new ServiceAllocation(new MemoryBackend(), '10.96.0.0/28', parsePortRange('30000-30010'));
    // 14 usable addresses (network and broadcast excluded).
    const got = await Promise.all(Array.from({ length: 14 }, (_, i) => a.allocate(svc(`s${i}`, { ports: [{ port: 80 }] }), undefined, false).then(() => 0)));
    assert.equal(got.length, 14);
    const held = [...(await a.ips.list()).keys()];
    assert.equal(new Set(held).size, 14);
    assert.ok(!held.includes('10.96.0.0') && !held.includes('10.96.0.15'));
    await assert.rejects(a.allocate(svc('full', { ports: [{ port: 80 }] }), undefined, false), /range is full/);
  });

  it('honours a chosen IP or node port, and refuses a taken or out-of-range one naming the field', async () => {
    const a = new ServiceAllocation(new MemoryBackend(), '10.43.0.0/16', parsePortRange('30000-32767'));
    const s1 = svc('one', { type: 'NodePort', clusterIP: '10.43.0.20', ports: [{ port: 80, nodePort: 30080 }] });
    await a.allocate(s1, undefined, false);
    assert.deepEqual(s1.spec.clusterIPs, ['10.43.0.20']);
    assert.match(await fieldOf(a.allocate(svc('two', { clusterIP: '10.43.0.20', ports: [{ port: 80 }] }), undefined, false)), /^spec.clusterIPs: .*provided IP is already allocated/);
    assert.match(await fieldOf(a.allocate(svc('two', { clusterIP: '10.1.0.1', ports: [{ port: 80 }] }), undefined, false)), /not in the valid range. The range of valid IPs is 10.43.0.0\/16/);
    assert.match(await fieldOf(a.allocate(svc('two', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }), undefined, false)), /^spec.ports\[0\].nodePort: .*provided port is already allocated/);
    assert.match(await fieldOf(a.allocate(svc('two', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }), undefined, false)), /The range of valid ports is 30000-32767/);
    // A failed allocation gave back what it had taken: only one IP and one port are held.
    assert.equal((await a.ips.list()).size, 1);
    assert.equal((await a.ports.list()).size, 1);
    // TCP and UDP of one service may share a node port.
    const dns = svc('dns', { type: 'NodePort', ports: [{ name: 'udp', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'tcp', port: 53, protocol: 'TCP', nodePort: 30053 }] });
    await a.allocate(dns, undefined, false);
  });

  it('keeps allocations across updates, and moves them when the type changes', async () => {
    const a = new ServiceAllocation(new MemoryBackend(), '10.43.0.0/16', parsePortRange('30000-32767'));
    const v1 = svc('web', { type: 'NodePort', ports: [{ port: 80 }] });
    await (await a.allocate(v1, undefined, false)).commit();
    const { clusterIP } = v1.spec;
    const nodePort = v1.spec.ports[0].nodePort;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    // An update without clusterIP or nodePort (kubectl replace) keeps both.
    const v2 = svc('web', { type: 'NodePort', ports: [{ port: 80 }] });
    await (await a.allocate(v2, v1, false)).commit();
    assert.equal(v2.spec.clusterIP, clusterIP);
    assert.equal(v2.spec.ports[0].nodePort, nodePort);
    // To ClusterIP: the node port is released; to ExternalName: the IP too.
    const v3 = svc('web', { type: 'ClusterIP', clusterIP, ports: [{ port: 80, nodePort }] });
    await (await a.allocate(v3, v2, false)).commit();
    assert.equal(v3.spec.ports[0].nodePort, undefined);
    assert.equal((await a.ports.list()).size, 0);
    const v4 = svc('web', { type: 'ExternalName', externalName: 'example.com' });
    await (await a.allocate(v4, v3, false)).commit();
    assert.equal((await a.ips.list()).size, 0);
  });

  it('repairs: marks what Services hold, releases old leaks, keeps young ones', async () => {
    const backend = new MemoryBackend();
    const reg = buildRegistry();
    const def = reg.lookup('', 'v1', 'services')!;
    const store = new ObjectStore(backend);
    const a = new ServiceAllocation(backend, '10.43.0.0/16', parsePortRange('30000-32767'));
    // A Service stored without an allocation record (as after a copy between stores).
    await store.create(def, { ...svc('orphan', { type: 'NodePort', clusterIP: '10.43.7.7', ports: [{ port: 80, nodePort: 31000 }] }), metadata: { name: 'orphan', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' } });
    // An allocation no Service holds (the server died before writing the Service).
    await a.ips.allocate('10.43.9.9', 'default/lost');
    assert.deepEqual(await repairServiceAllocations(backend, def, a), { marked: 2, released: 0 });
    assert.deepEqual(await repairServiceAllocations(backend, def, a, Date.now() + LEAK_GRACE_MS + 1), { marked: 0, released: 1 });
    assert.deepEqual([...(await a.ips.list()).keys()], ['10.43.7.7']);
    assert.deepEqual([...(await a.ports.list()).keys()], ['31000']);
  });
});
