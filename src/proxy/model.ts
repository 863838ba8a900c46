/**
 * What the proxy programs, worked out from Services and EndpointSlices: one entry per
 * Service port with its virtual addresses (ClusterIP, NodePort, external and
 * load-balancer IPs) and the endpoints each path may use. As kube-proxy: ready
 * endpoints; if none, serving-and-terminating ones; traffic policy Local keeps only this
 * node's endpoints on that path.
 */
import { createHash } from 'node:crypto';

export interface Endpoint {
  ip: string;
  port: number;
  local: boolean;
}

export interface ServicePort {
  /** Stable short id for chain names: hash of namespace/name/port-name/protocol. */
  id: string;
  name: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP?: string;
  port: number;
  nodePort?: number;
  /** externalIPs and status.loadBalancer.ingress IPs. */
  externalIPs: string[];
  affinitySeconds?: number;
  /** Endpoints for traffic from inside the cluster (ClusterIP). */
  internal: Endpoint[];
  /** Endpoints for traffic from outside (NodePort, external and LB IPs). */
  external: Endpoint[];
  externalLocal: boolean;
}

export function portId(ns: string, name: string, portName: string, protocol: string): string {
  return createHash('sha256').update(`${ns}/${name}:${portName}/${protocol}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 12).toLowerCase();
}

function pickEndpoints(all: (Endpoint & { ready: boolean; serving: boolean; terminating: boolean })[]): Endpoint[] {
  const ready = all.filter((e) => e.ready);
  const chosen = ready.length ? ready : all.filter((e) => e.serving && e.terminating);
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const e of chosen) {
    const k = `${e.ip}:${e.port}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ ip: e.ip, port: e.port, local: e.local });
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip.localeCompare(b.ip, undefined, { numeric: true })));
}

/** The ServicePorts of one Service given its EndpointSlices, as seen from node `nodeName`. */
export function servicePorts(svc: any, slices: any[], nodeName: string): ServicePort[] {
  const s = svc.spec ?? {};
  const type = s.type ?? 'ClusterIP';
  if (type === 'ExternalName') return [];
  const headless = !s.clusterIP || s.clusterIP === 'None';
  const externalIPs = [...(s.externalIPs ?? []), ...(svc.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).filter(Boolean)];
  const out: ServicePort[] = [];
  for (const p of s.ports ?? []) {
    const protocol = String(p.protocol ?? 'TCP').toLowerCase() as ServicePort['protocol'];
    const name = p.name ?? '';
    const eps: (Endpoint & { ready: boolean; serving: boolean; terminating: boolean })[] = [];
    for (const sl of slices) {
      if (sl.addressType && sl.addressType !== 'IPv4') continue;
      const sp = (sl.ports ?? []).find((x: any) => (x.name ?? '') === name && String(x.protocol ?? 'TCP').toLowerCase() === protocol);
      if (!sp || !sp.port) continue;
      for (const e of sl.endpoints ?? []) {
        const c = e.conditions ?? {};
        const ready = c.ready !== false;
        for (const ip of e.addresses ?? []) eps.push({ ip, port: sp.port, local: e.nodeName === nodeName, ready, serving: c.serving ?? ready, terminating: !!c.terminating });
      }
    }
    const all = pickEndpoints(eps);
    const internalLocal = s.internalTrafficPolicy === 'Local';
    const externalLocal = (type === 'NodePort' || type === 'LoadBalancer') && s.externalTrafficPolicy === 'Local';
    const hasExternal = !!p.nodePort || externalIPs.length > 0;
    if (headless && !hasExternal) continue;
    out.push({
      id: portId(svc.metadata.namespace, svc.metadata.name, name, protocol),
      name: `${svc.metadata.namespace}/${svc.metadata.name}${name ? ':' + name : ''}`,
      protocol,
      clusterIP: headless ? undefined : s.clusterIP,
      port: p.port,
      nodePort: p.nodePort || undefined,
      externalIPs,
      affinitySeconds: s.sessionAffinity === 'ClientIP' ? (s.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined,
      internal: internalLocal ? all.filter((e) => e.local) : all,
      external: externalLocal ? all.filter((e) => e.local) : all,
      externalLocal,
    });
  }
  return out;
}
