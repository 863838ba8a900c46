/**
 * What both endpoint controllers read from a Service and its pods: which pods back it
 * (selector match, an IP, not finished), each pod's readiness and termination, and the
 * Service's ports resolved per pod (a named targetPort is looked up in that pod's
 * containers, so pods of one Service may serve on different numbers).
 */
import { isPodReady } from './pods.js';

/** A Service whose endpoints a controller maintains: it has a non-empty selector and is not ExternalName. */
export function hasSelector(svc: any): boolean {
  return (svc.spec?.type ?? 'ClusterIP') !== 'ExternalName' && !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

export function selects(svc: any, pod: any): boolean {
  const labels = pod.metadata?.labels ?? {};
  return hasSelector(svc) && pod.metadata?.namespace === svc.metadata.namespace && Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v);
}

/** Upstream's ShouldPodBeInEndpoints: an IP, not finished; terminating pods only where asked. */
export function podBacksService(pod: any, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  if (pod.metadata?.deletionTimestamp && !includeTerminating) return false;
  return true;
}

export interface ResolvedPort {
  name: string;
  protocol: string;
  port: number;
  appProtocol?: string;
}

/** The Service's ports as this pod serves them; a named targetPort the pod lacks drops that port. */
export function resolvePorts(svc: any, pod: any): ResolvedPort[] {
  const out: ResolvedPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const protocol = sp.protocol ?? 'TCP';
    const target = sp.targetPort ?? sp.port;
    let port: number | undefined;
    if (typeof target === 'number') port = target;
    else if (/^\d+$/.test(String(target))) port = Number(target);
    else {
      for (const c of pod.spec?.containers ?? []) {
        const cp = (c.ports ?? []).find((p: any) => p.name === target && (p.protocol ?? 'TCP') === protocol);
        if (cp) {
          port = cp.containerPort;
          break;
        }
      }
    }
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', protocol, port, ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

export function portsKey(ports: ResolvedPort[]): string {
  return ports
    .map((p) => `${p.name}/${p.protocol}/${p.port}/${p.appProtocol ?? ''}`)
    .sort()
    .join(',');
}

export interface PodEndpoint {
  pod: any;
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  ports: ResolvedPort[];
  /** The DNS hostname: the pod's spec.hostname when its subdomain is this Service. */
  hostname?: string;
}

export function podEndpoint(svc: any, pod: any): PodEndpoint {
  const terminating = !!pod.metadata.deletionTimestamp;
  const serving = isPodReady(pod);
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  return {
    pod,
    ip: pod.status.podIP,
    // publishNotReadyAddresses: every endpoint counts as ready (StatefulSet peer discovery).
    ready: publishNotReady || (serving && !terminating),
    serving: publishNotReady || serving,
    terminating,
    ports: resolvePorts(svc, pod),
    hostname: pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name ? pod.spec.hostname : undefined,
  };
}

export function targetRef(pod: any): any {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}
