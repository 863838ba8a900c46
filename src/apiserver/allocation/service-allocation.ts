/**
 * ClusterIPs and NodePorts for Services, as kube-apiserver's service REST storage does:
 * allocated when a Service is created (a chosen value is honoured or refused with 422
 * naming the field), kept across updates (an update that leaves them out keeps the old
 * ones), allocated or released when the type changes, released when it is deleted.
 */
import type { FieldError } from '../../api/types.js';
import type { Backend } from '../../store/types.js';
import { cidrContains, intToIp, isIPv4, parseCidr, type Cidr } from '../../util/ipv4.js';
import { errors } from '../errors.js';
import { AllocationError, RangeAllocator } from './range-allocator.js';

export const SERVICE_IPS_PREFIX = '/registry/skiff/ranges/serviceips/';
export const NODE_PORTS_PREFIX = '/registry/skiff/ranges/servicenodeports/';

export interface PortRange {
  min: number;
  max: number;
}

export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m || +m[1] > +m[2] || +m[1] < 1 || +m[2] > 65535) throw new Error(`invalid port range ${text}: expected MIN-MAX`);
  return { min: +m[1], max: +m[2] };
}

/** What a Service holds: its ClusterIP (if any) and its node ports. */
interface Held {
  ip?: string;
  ports: Set<number>;
}

const needsIp = (s: any) => (s.type ?? 'ClusterIP') !== 'ExternalName' && s.clusterIP !== 'None';
const needsNodePorts = (s: any) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);

function held(svc: any | undefined): Held {
  const s = svc?.spec ?? {};
  return { ip: isIPv4(s.clusterIP) ? s.clusterIP : undefined, ports: new Set((s.ports ?? []).map((p: any) => p.nodePort).filter((n: unknown) => typeof n === 'number' && n > 0)) };
}

export interface AllocationTxn {
  /** The write was stored: release what the old object held and the new one does not. */
  commit(): Promise<void>;
  /** The write failed: release what this transaction allocated. */
  rollback(): Promise<void>;
}

export class ServiceAllocation {
  readonly cidr: Cidr;
  readonly ips: RangeAllocator;
  readonly ports: RangeAllocator;

  constructor(
    backend: Backend,
    serviceCidr: string,
    readonly portRange: PortRange,
  ) {
    const cidr = (this.cidr = parseCidr(serviceCidr));
    this.ips = new RangeAllocator(backend, {
      prefix: SERVICE_IPS_PREFIX,
      size: cidr.size,
      item: (o) => intToIp(cidr.base + o),
      offsetOf: (ip) => (isIPv4(ip) && cidrContains(cidr, ip) ? parseCidr(`${ip}/32`).base - cidr.base : undefined),
      // The network and broadcast addresses are never handed out.
      reserved: (o) => cidr.size > 2 && (o === 0 || o === cidr.size - 1),
    });
    this.ports = new RangeAllocator(backend, {
      prefix: NODE_PORTS_PREFIX,
      size: portRange.max - portRange.min + 1,
      item: (o) => String(portRange.min + o),
      offsetOf: (p) => (/^\d+$/.test(p) && +p >= portRange.min && +p <= portRange.max ? +p - portRange.min : undefined),
    });
  }

  /**
   * Fill in and reserve what `svc` needs, given what `old` (on update) held. Throws 422
   * naming the field when a chosen value is taken or out of range. In dry-run mode only
   * checks chosen values.
   */
  async allocate(svc: any, old: any | undefined, dryRun: boolean): Promise<AllocationTxn> {
    const s = (svc.spec ??= {});
    const owner = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const before = held(old);
    const fresh: { ip?: string; ports: number[] } = { ports: [] };
    const fail = async (e: FieldError) => {
      await release(this, fresh);
      throw errors.invalid('', 'Service', svc.metadata.name, [e]);
    };

    // ClusterIP: an update that leaves it out keeps the old one (as upstream patches in allocated values).
    if (old && needsIp(s) && !s.clusterIP && before.ip && needsIp(old.spec ?? {})) s.clusterIP = before.ip;
    if (!s.clusterIP && s.clusterIPs?.length) s.clusterIP = s.clusterIPs[0];
    if (needsIp(s)) {
      if (s.clusterIP && s.clusterIP !== before.ip) {
        const ip = s.clusterIP;
        if (!isIPv4(ip)) await fail({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: ip, detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' });
        if (!this.ips.inRange(ip)) await fail({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [ip], detail: `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr.text}` });
        if (dryRun) {
          if ((await this.ips.list()).has(ip)) await fail({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [ip], detail: `failed to allocate IP ${ip}: provided IP is already allocated` });
        } else {
          try {
            await this.ips.allocate(ip, owner);
            fresh.ip = ip;
          } catch (err) {
            if (!(err instanceof AllocationError)) throw err;
            await fail({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [ip], detail: `failed to allocate IP ${ip}: provided IP is already allocated` });
          }
        }
      } else if (!s.clusterIP && !dryRun) {
        try {
          s.clusterIP = fresh.ip = await this.ips.allocateNext(owner);
        } catch (err) {
          if (!(err instanceof AllocationError)) throw err;
          throw errors.internal(new Error(`failed to allocate a serviceIP: range is full`));
        }
      }
      if (s.clusterIP) s.clusterIPs = [s.clusterIP];
    } else if (s.clusterIP === 'None') s.clusterIPs = ['None'];
    else if ((s.type ?? 'ClusterIP') === 'ExternalName') {
      delete s.clusterIP;
      delete s.clusterIPs;
    }

    // Node ports: one per port (TCP and UDP of one service may share a number).
    const ports: any[] = s.ports ?? [];
    if (needsNodePorts(s)) {
      const oldByKey = new Map<string, number>();
      for (const p of old?.spec?.ports ?? []) if (p.nodePort) oldByKey.set(`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort);
      const mine = new Set<number>();
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i];
        if (!p.nodePort) {
          const kept = oldByKey.get(`${p.port}/${p.protocol ?? 'TCP'}`);
          if (kept) p.nodePort = kept;
        }
        const n = p.nodePort;
        if (n) {
          if (mine.has(n) || before.ports.has(n)) {
            mine.add(n);
            continue;
          }
          if (!this.ports.inRange(String(n))) await fail({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: n, detail: `provided port is not in the valid range. The range of valid ports is ${this.portRange.min}-${this.portRange.max}` });
          if (dryRun) {
            if ((await this.ports.list()).has(String(n))) await fail({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: n, detail: 'provided port is already allocated' });
          } else {
            try {
              await this.ports.allocate(String(n), owner);
              fresh.ports.push(n);
            } catch (err) {
              if (!(err instanceof AllocationError)) throw err;
              await fail({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: n, detail: 'provided port is already allocated' });
            }
          }
          mine.add(n);
        } else if (!dryRun) {
          try {
            p.nodePort = Number(await this.ports.allocateNext(owner));
          } catch (err) {
            if (!(err instanceof AllocationError)) throw err;
            await release(this, fresh);
            throw errors.internal(new Error('failed to allocate a nodePort: range is full'));
          }
          fresh.ports.push(p.nodePort);
          mine.add(p.nodePort);
        }
      }
    } else {
      // A ClusterIP Service has no node ports (an update to ClusterIP drops them, as upstream).
      const wasNodePort = old && needsNodePorts(old.spec ?? {});
      ports.forEach((p, i) => {
        if (p.nodePort && !wasNodePort) throw errors.invalid('', 'Service', svc.metadata.name, [{ type: 'FieldValueForbidden', field: `spec.ports[${i}].nodePort`, detail: `may not be used when \`type\` is '${s.type ?? 'ClusterIP'}'` }]);
        delete p.nodePort;
      });
    }

    const after = held(svc);
    return {
      commit: async () => {
        if (dryRun) return;
        if (before.ip && before.ip !== after.ip) await this.ips.release(before.ip);
        for (const n of before.ports) if (!after.ports.has(n)) await this.ports.release(String(n));
      },
      rollback: () => (dryRun ? Promise.resolve() : release(this, fresh)),
    };
  }

  /** A deleted Service gives back its ClusterIP and node ports. */
  async release(svc: any): Promise<void> {
    const h = held(svc);
    await release(this, { ip: h.ip, ports: [...h.ports] });
  }
}

async function release(a: ServiceAllocation, items: { ip?: string; ports: number[] }): Promise<void> {
  if (items.ip) await a.ips.release(items.ip);
  for (const n of items.ports) await a.ports.release(String(n));
}
