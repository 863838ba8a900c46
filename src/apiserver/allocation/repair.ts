/**
 * The allocation repair loop (upstream's ClusterIP and NodePort repair controllers):
 * every Service's ClusterIP and node ports are marked allocated (data written before
 * allocation existed, or copied between stores), and allocations no Service holds —
 * left by a server that died between reserving and writing — are released once they
 * are old enough that no write can still be in flight.
 */
import type { ResourceDef } from '../../api/types.js';
import type { Backend } from '../../store/types.js';
import { decode, keyPrefix } from '../object-store.js';
import { AllocationError } from './range-allocator.js';
import type { ServiceAllocation } from './service-allocation.js';

export const LEAK_GRACE_MS = 60_000;

export interface RepairResult {
  marked: number;
  released: number;
}

export async function repairServiceAllocations(backend: Backend, svcDef: ResourceDef, a: ServiceAllocation, now = Date.now()): Promise<RepairResult> {
  const ips = new Map<string, string>();
  const ports = new Map<string, string>();
  let startKey: string | undefined;
  for (;;) {
    const r = await backend.list(keyPrefix(svcDef), { startKey, limit: 1000 });
    for (const kv of r.kvs) {
      const svc = decode(kv);
      const owner = `${svc.metadata.namespace}/${svc.metadata.name}`;
      const ip = svc.spec?.clusterIP;
      if (ip && ip !== 'None' && a.ips.inRange(ip)) ips.set(ip, owner);
      for (const p of svc.spec?.ports ?? []) if (p.nodePort && a.ports.inRange(String(p.nodePort))) ports.set(String(p.nodePort), owner);
    }
    if (!r.more || !r.kvs.length) break;
    startKey = r.kvs[r.kvs.length - 1].key + '\0';
  }
  const result: RepairResult = { marked: 0, released: 0 };
  for (const [alloc, inUse] of [
    [a.ips, ips],
    [a.ports, ports],
  ] as const) {
    const held = await alloc.list();
    for (const [item, owner] of inUse) {
      if (held.has(item)) continue;
      try {
        await alloc.allocate(item, owner);
        result.marked++;
      } catch (err) {
        if (!(err instanceof AllocationError)) throw err;
      }
    }
    for (const [item, h] of held) {
      if (inUse.has(item) || now - Date.parse(h.at) < LEAK_GRACE_MS) continue;
      await alloc.release(item);
      result.released++;
    }
  }
  return result;
}
