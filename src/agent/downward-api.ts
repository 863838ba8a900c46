/**
 * The downward API: pod fields and container resources as strings, shared by env
 * `valueFrom` and downwardAPI volume files (upstream: podFieldSelectorRuntimeValue,
 * fieldpath.ExtractFieldPathAsString, resource.ExtractContainerResourceValue).
 */
import { parseQuantity } from '../scheduler/framework/resources.js';

/** Addresses known only to the agent (the pod's own status may not carry them yet). */
export interface PodAddresses {
  podIPs?: string[];
  hostIPs?: string[];
}

export class DownwardAPIError extends Error {}

/** Go's %q for the strings the kubelet formats (labels and annotations files). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** `key="value"` lines in key order, as fieldpath.FormatMap (no trailing newline). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** The value of a fieldRef fieldPath for env vars and downwardAPI files. */
export function podFieldValue(pod: any, fieldPath: string, addr: PodAddresses = {}): string {
  const podIPs = addr.podIPs ?? (pod.status?.podIPs ?? []).map((p: any) => p.ip).filter(Boolean);
  const hostIPs = addr.hostIPs ?? (pod.status?.hostIPs ?? []).map((p: any) => p.ip).filter(Boolean);
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIPs[0] ?? pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (hostIPs.length ? hostIPs : pod.status?.hostIP ? [pod.status.hostIP] : []).join(',');
    case 'status.podIP':
      return podIPs[0] ?? pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (podIPs.length ? podIPs : pod.status?.podIP ? [pod.status.podIP] : []).join(',');
  }
  const m = subscript.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]] ?? '';
  throw new DownwardAPIError(`unsupported fieldPath: ${fieldPath}`);
}

/**
 * A container's resources for the downward API. Limits a container does not set default
 * to the node's allocatable (kubelet defaultPodLimitsForDownwardAPI); requests not set
 * default to the limit the user set, as API defaulting does, else 0.
 */
export function containerResourceValue(
  ref: { containerName?: string; resource: string; divisor?: string | number },
  container: any,
  nodeAllocatable: Record<string, string> = {},
): string {
  const m = /^(limits|requests)\.(.+)$/.exec(ref.resource ?? '');
  if (!m) throw new DownwardAPIError(`unsupported container resource : ${ref.resource}`);
  const [, kind, name] = m;
  if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-')) throw new DownwardAPIError(`unsupported container resource : ${ref.resource}`);
  const limits = container?.resources?.limits ?? {};
  const requests = container?.resources?.requests ?? {};
  const raw = kind === 'limits' ? (limits[name] ?? nodeAllocatable[name]) : (requests[name] ?? limits[name]);
  const divisor = parseQuantity(ref.divisor === undefined || ref.divisor === '' ? '1' : ref.divisor) || 1;
  const value = parseQuantity(raw ?? '0');
  // Quantity.MilliValue()/Value() round up; cpu is divided in millicores (250m / 1 →
  // ceil(250 / 1000) = 1; 250m / 1m → 250), the rest in bytes (1Gi / 1Mi → 1024; 1 / 1m
  // → 1 / 1, as 1m bytes rounds up to 1), and the quotient rounds up again.
  const scale = name === 'cpu' ? 1000 : 1;
  const up = (x: number) => Math.ceil(x * scale - 1e-6);
  const q = Math.ceil(up(value) / Math.max(1, up(divisor)) - 1e-9);
  return String(q);
}

/** resourceFieldRef with a containerName (downwardAPI volumes, env of another container). */
export function podContainerResourceValue(ref: { containerName?: string; resource: string; divisor?: string | number }, pod: any, container: any, nodeAllocatable?: Record<string, string>): string {
  let c = container;
  if (ref.containerName) {
    c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: any) => x.name === ref.containerName);
    if (!c) throw new DownwardAPIError(`container ${ref.containerName} not found`);
  }
  return containerResourceValue(ref, c, nodeAllocatable);
}
