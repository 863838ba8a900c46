/**
 * The EndpointSlice reconciler's plan for one Service (upstream's reconciler, simplified
 * but with the same outcomes): endpoints are grouped by their resolved port set, at most
 * 100 per slice; an endpoint stays in the slice it is already in, new ones fill slices
 * with room before new slices are made, emptied slices are deleted, and a Service with
 * no endpoints keeps one empty placeholder slice.
 */
import { podEndpoint, portsKey, targetRef, type PodEndpoint, type ResolvedPort } from '../common/service-pods.js';

export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

export interface SlicePlan {
  create: any[];
  update: any[];
  delete: any[];
}

function sliceEndpoint(e: PodEndpoint, zones: (node: string) => string | undefined): any {
  const out: any = { addresses: [e.ip], conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating } };
  if (e.hostname) out.hostname = e.hostname;
  out.targetRef = targetRef(e.pod);
  if (e.pod.spec?.nodeName) {
    out.nodeName = e.pod.spec.nodeName;
    const z = zones(e.pod.spec.nodeName);
    if (z) out.zone = z;
  }
  return out;
}

function slicePorts(ports: ResolvedPort[]): any[] {
  return ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
}

/** The labels every slice of the Service carries: the Service's own, plus ownership. */
export function sliceLabels(svc: any): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  delete labels[SERVICE_NAME_LABEL];
  delete labels[MANAGED_BY_LABEL];
  labels[SERVICE_NAME_LABEL] = svc.metadata.name;
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return labels;
}

const sliceKeyOfEndpoint = (e: any) => e.targetRef?.uid ?? e.addresses[0];

export function planSlices(svc: any, pods: any[], existing: any[], zones: (node: string) => string | undefined = () => undefined): SlicePlan {
  const labels = sliceLabels(svc);
  const owner = { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true };
  // Desired endpoints, by port-set key.
  const groups = new Map<string, { ports: any[]; eps: Map<string, any> }>();
  for (const pod of pods) {
    const e = podEndpoint(svc, pod);
    const k = portsKey(e.ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports: slicePorts(e.ports), eps: new Map() }));
    const se = sliceEndpoint(e, zones);
    g.eps.set(sliceKeyOfEndpoint(se), se);
  }
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const keep: any[] = [];
  // 1. Existing slices keep the endpoints they have that are still wanted (refreshed).
  for (const s of existing) {
    const k = portsKey((s.ports ?? []).map((p: any) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port, appProtocol: p.appProtocol })));
    const g = groups.get(k);
    const eps: any[] = [];
    if (g) {
      for (const e of s.endpoints ?? []) {
        const id = sliceKeyOfEndpoint(e);
        const want = g.eps.get(id);
        if (want && eps.length < MAX_ENDPOINTS_PER_SLICE) {
          eps.push(want);
          g.eps.delete(id);
        }
      }
    }
    keep.push({ slice: s, key: k, ports: g?.ports ?? s.ports ?? [], eps });
  }
  // 2. New endpoints fill slices of their port set that have room, then new slices.
  for (const [k, g] of groups) {
    const rest = [...g.eps.values()];
    for (const kept of keep) {
      if (kept.key !== k) continue;
      while (rest.length && kept.eps.length < MAX_ENDPOINTS_PER_SLICE) kept.eps.push(rest.shift());
    }
    for (let i = 0; i < rest.length; i += MAX_ENDPOINTS_PER_SLICE) {
      plan.create.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [owner] },
        addressType: 'IPv4',
        endpoints: rest.slice(i, i + MAX_ENDPOINTS_PER_SLICE),
        ports: g.ports,
      });
    }
  }
  // 3. Emptied slices go, except one placeholder when the Service has no endpoints at all.
  const anyEndpoints = plan.create.length > 0 || keep.some((k) => k.eps.length > 0);
  let placeholderKept = false;
  for (const k of keep) {
    if (!k.eps.length) {
      if (!anyEndpoints && !placeholderKept) {
        placeholderKept = true;
        const next = { ...k.slice, metadata: { ...k.slice.metadata, labels }, endpoints: [], ports: [] };
        if (changed(k.slice, next)) plan.update.push(next);
        continue;
      }
      plan.delete.push(k.slice);
      continue;
    }
    const next = { ...k.slice, metadata: { ...k.slice.metadata, labels }, endpoints: k.eps, ports: k.ports };
    if (changed(k.slice, next)) plan.update.push(next);
  }
  if (!anyEndpoints && !placeholderKept) {
    plan.create.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [owner] },
      addressType: 'IPv4',
      endpoints: [],
      ports: [],
    });
  }
  return plan;
}

function changed(a: any, b: any): boolean {
  return JSON.stringify(a.endpoints ?? []) !== JSON.stringify(b.endpoints ?? []) || JSON.stringify(a.ports ?? []) !== JSON.stringify(b.ports ?? []) || JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {});
}
