/**
 * Cluster DNS records, as the Kubernetes DNS specification (and CoreDNS's kubernetes
 * plugin) define them, answered from an index of Services and EndpointSlices:
 *   <svc>.<ns>.svc.<zone>            A: the ClusterIP; headless: every ready endpoint;
 *                                    ExternalName: CNAME
 *   <host>.<svc>.<ns>.svc.<zone>     A: the endpoint with that hostname (or dashed IP)
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV for a named port
 *   <a-b-c-d>.<ns>.pod.<zone>        A: a.b.c.d
 *   d.c.b.a.in-addr.arpa             PTR for ClusterIPs and named endpoints
 * Unknown names in the zone are NXDOMAIN with the zone's SOA; a known name asked for
 * another type is NODATA with the SOA.
 */
import type { Answer } from 'dns-packet';

export const TTL = 5;

export interface EndpointRecord {
  ip: string;
  hostname?: string;
  ready: boolean;
  /** "name/protocol" → port */
  ports: Map<string, number>;
}

export interface ServiceRecord {
  name: string;
  namespace: string;
  type: string;
  clusterIP?: string;
  externalName?: string;
  publishNotReady: boolean;
  /** Service ports: name, protocol (lowercase), port */
  ports: { name: string; protocol: string; port: number }[];
  endpoints: EndpointRecord[];
}

export interface Lookup {
  /** 'NOERROR' | 'NXDOMAIN'; undefined: not ours (forward it). */
  rcode?: 'NOERROR' | 'NXDOMAIN';
  answers: Answer[];
  additionals: Answer[];
}

const dashed = (ip: string) => ip.replace(/\./g, '-');
const isIPv4 = (s: string) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) && s.split('.').every((x) => +x <= 255);

export class DnsIndex {
  private readonly services = new Map<string, ServiceRecord>();
  private readonly namespaces = new Set<string>();
  private readonly ptr = new Map<string, string>();

  constructor(readonly zone: string) {}

  static build(zone: string, services: ServiceRecord[]): DnsIndex {
    const idx = new DnsIndex(zone.toLowerCase());
    for (const s of services) {
      const fqdn = `${s.name}.${s.namespace}.svc.${idx.zone}`;
      idx.services.set(`${s.name}.${s.namespace}`, s);
      idx.namespaces.add(s.namespace);
      if (s.clusterIP && s.clusterIP !== 'None') idx.ptr.set(s.clusterIP, fqdn);
      else for (const e of s.endpoints) if (e.hostname) idx.ptr.set(e.ip, `${e.hostname}.${fqdn}`);
    }
    return idx;
  }

  soa(): Answer {
    return { name: this.zone, type: 'SOA', ttl: TTL, class: 'IN', data: { mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL } } as Answer;
  }

  /** What the cluster's DNS says about (name, type). */
  lookup(qname: string, qtype: string): Lookup {
    const name = qname.toLowerCase().replace(/\.$/, '');
    const none: Lookup = { answers: [], additionals: [] };
    if (name.endsWith('.in-addr.arpa')) {
      const ip = name.slice(0, -'.in-addr.arpa'.length).split('.').reverse().join('.');
      const target = this.ptr.get(ip);
      if (!target) return none;
      return { rcode: 'NOERROR', answers: qtype === 'PTR' || qtype === 'ANY' ? [{ name: qname, type: 'PTR', ttl: TTL, class: 'IN', data: target } as Answer] : [], additionals: [] };
    }
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) return none;
    const labels = name === this.zone ? [] : name.slice(0, -(this.zone.length + 1)).split('.');
    const nx: Lookup = { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    const nodata: Lookup = { rcode: 'NOERROR', answers: [], additionals: [] };
    const kind = labels[labels.length - 1];
    // The zone itself, "svc", "pod", "<ns>.svc", "<ns>.pod": names that exist without records.
    if (labels.length === 0 || ((kind === 'svc' || kind === 'pod') && (labels.length === 1 || (labels.length === 2 && this.namespaces.has(labels[0]))))) return nodata;
    if (kind === 'pod' && labels.length === 3) {
      const ip = labels[0].replace(/-/g, '.');
      if (!isIPv4(ip)) return nx;
      return qtype === 'A' || qtype === 'ANY' ? { rcode: 'NOERROR', answers: [a(qname, ip)], additionals: [] } : nodata;
    }
    if (kind !== 'svc') return nx;
    if (labels.length === 3) return this.serviceName(qname, labels[1], labels[0], qtype);
    if (labels.length === 4) return this.endpointName(qname, labels[2], labels[1], labels[0], qtype);
    if (labels.length === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) return this.portName(qname, labels[3], labels[2], labels[0].slice(1), labels[1].slice(1), qtype);
    return nx;
  }

  private fqdn(s: ServiceRecord): string {
    return `${s.name}.${s.namespace}.svc.${this.zone}`;
  }

  private usable(s: ServiceRecord): EndpointRecord[] {
    return s.endpoints.filter((e) => e.ready || s.publishNotReady);
  }

  private serviceName(qname: string, ns: string, svc: string, qtype: string): Lookup {
    const s = this.services.get(`${svc}.${ns}`);
    if (!s) return { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    const out: Lookup = { rcode: 'NOERROR', answers: [], additionals: [] };
    if (s.type === 'ExternalName') {
      if (s.externalName) out.answers.push({ name: qname, type: 'CNAME', ttl: TTL, class: 'IN', data: s.externalName } as Answer);
      return out;
    }
    const headless = !s.clusterIP || s.clusterIP === 'None';
    if (qtype === 'A' || qtype === 'ANY') {
      if (!headless) out.answers.push(a(qname, s.clusterIP!));
      else for (const e of this.usable(s)) out.answers.push(a(qname, e.ip));
    } else if (qtype === 'SRV') {
      for (const p of s.ports) if (p.name) this.srv(out, s, `_${p.name}._${p.protocol}.${this.fqdn(s)}`, p, qname);
    }
    return out;
  }

  private endpointName(qname: string, ns: string, svc: string, host: string, qtype: string): Lookup {
    const s = this.services.get(`${svc}.${ns}`);
    const e = s && this.usable(s).find((x) => x.hostname === host || dashed(x.ip) === host);
    if (!s || !e) return { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    return { rcode: 'NOERROR', answers: qtype === 'A' || qtype === 'ANY' ? [a(qname, e.ip)] : [], additionals: [] };
  }

  private portName(qname: string, ns: string, svc: string, port: string, proto: string, qtype: string): Lookup {
    const s = this.services.get(`${svc}.${ns}`);
    const p = s?.ports.find((x) => x.name === port && x.protocol === proto);
    if (!s || !p) return { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    const out: Lookup = { rcode: 'NOERROR', answers: [], additionals: [] };
    if (qtype === 'SRV' || qtype === 'ANY') this.srv(out, s, qname, p, qname);
    return out;
  }

  /** SRV answers for one port: the Service name (ClusterIP) or each endpoint (headless), with A records as additionals. */
  private srv(out: Lookup, s: ServiceRecord, owner: string, p: { name: string; protocol: string; port: number }, _q: string): void {
    const headless = !s.clusterIP || s.clusterIP === 'None';
    if (!headless) {
      out.answers.push({ name: owner, type: 'SRV', ttl: TTL, class: 'IN', data: { priority: 0, weight: 100, port: p.port, target: this.fqdn(s) } } as Answer);
      out.additionals.push(a(this.fqdn(s), s.clusterIP!));
      return;
    }
    const eps = this.usable(s);
    const weight = eps.length ? Math.floor(100 / eps.length) : 100;
    for (const e of eps) {
      const target = `${e.hostname ?? dashed(e.ip)}.${this.fqdn(s)}`;
      out.answers.push({ name: owner, type: 'SRV', ttl: TTL, class: 'IN', data: { priority: 0, weight, port: e.ports.get(`${p.name}/${p.protocol}`) ?? p.port, target } } as Answer);
      out.additionals.push(a(target, e.ip));
    }
  }
}

function a(name: string, ip: string): Answer {
  return { name, type: 'A', ttl: TTL, class: 'IN', data: ip } as Answer;
}

/** The index entries for one Service given its EndpointSlices. */
export function serviceRecord(svc: any, slices: any[]): ServiceRecord {
  const endpoints: EndpointRecord[] = [];
  const seen = new Set<string>();
  for (const sl of slices) {
    if (sl.addressType && sl.addressType !== 'IPv4') continue;
    const ports = new Map<string, number>((sl.ports ?? []).filter((p: any) => p.port).map((p: any) => [`${p.name ?? ''}/${String(p.protocol ?? 'TCP').toLowerCase()}`, p.port]));
    for (const e of sl.endpoints ?? []) {
      for (const ip of e.addresses ?? []) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        endpoints.push({ ip, hostname: e.hostname, ready: e.conditions?.ready !== false, ports });
      }
    }
  }
  const s = svc.spec ?? {};
  return {
    name: svc.metadata.name,
    namespace: svc.metadata.namespace,
    type: s.type ?? 'ClusterIP',
    clusterIP: s.clusterIP,
    externalName: s.externalName,
    publishNotReady: !!s.publishNotReadyAddresses,
    ports: (s.ports ?? []).map((p: any) => ({ name: p.name ?? '', protocol: String(p.protocol ?? 'TCP').toLowerCase(), port: p.port })),
    endpoints,
  };
}
