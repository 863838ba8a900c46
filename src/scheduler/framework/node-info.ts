/**
 * NodeInfo: a node with the pods on it (bound and assumed) and what they use —
 * requested resources, non-zero requests for scoring, host ports, image names — kept
 * incrementally by the scheduler cache so a scheduling cycle reads them in O(1).
 */
import { addInto, emptyResources, podNonZeroRequests, podRequests, resourcesFromList, type Resources } from './resources.js';

export interface PodInfo {
  pod: any;
  requests: Resources;
  nonZero: { milliCPU: number; memory: number };
  ports: string[];
}

export function podInfo(pod: any): PodInfo {
  const ports: string[] = [];
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.hostPort) ports.push(`${p.protocol ?? 'TCP'}/${p.hostIP && p.hostIP !== '0.0.0.0' ? p.hostIP : '0.0.0.0'}/${p.hostPort}`);
  return { pod, requests: podRequests(pod), nonZero: podNonZeroRequests(pod), ports };
}

export class NodeInfo {
  node: any;
  allocatable: Resources = emptyResources();
  allowedPodNumber = 110;
  readonly pods = new Map<string, PodInfo>();
  readonly requested: Resources = emptyResources();
  readonly nonZeroRequested = { milliCPU: 0, memory: 0 };
  /** "proto/ip/port" → count */
  readonly usedPorts = new Map<string, number>();
  /** Pods with (anti-)affinity terms, for InterPodAffinity. */
  readonly podsWithAffinity = new Set<string>();
  generation = 0;

  constructor(node: any) {
    this.node = node;
    this.setNode(node);
  }

  get name(): string {
    return this.node.metadata.name;
  }

  setNode(node: any): void {
    this.node = node;
    this.allocatable = resourcesFromList(node.status?.allocatable ?? node.status?.capacity);
    this.allowedPodNumber = Number(node.status?.allocatable?.pods ?? node.status?.capacity?.pods ?? 110);
    this.generation++;
  }

  addPod(pi: PodInfo): void {
    const uid = pi.pod.metadata.uid;
    if (this.pods.has(uid)) this.removePod(uid);
    this.pods.set(uid, pi);
    addInto(this.requested, pi.requests);
    this.nonZeroRequested.milliCPU += pi.nonZero.milliCPU;
    this.nonZeroRequested.memory += pi.nonZero.memory;
    for (const p of pi.ports) this.usedPorts.set(p, (this.usedPorts.get(p) ?? 0) + 1);
    const aff = pi.pod.spec?.affinity;
    if (aff?.podAffinity || aff?.podAntiAffinity) this.podsWithAffinity.add(uid);
    this.generation++;
  }

  removePod(uid: string): PodInfo | undefined {
    const pi = this.pods.get(uid);
    if (!pi) return undefined;
    this.pods.delete(uid);
    addInto(this.requested, pi.requests, -1);
    this.nonZeroRequested.milliCPU -= pi.nonZero.milliCPU;
    this.nonZeroRequested.memory -= pi.nonZero.memory;
    for (const p of pi.ports) {
      const n = (this.usedPorts.get(p) ?? 1) - 1;
      if (n <= 0) this.usedPorts.delete(p);
      else this.usedPorts.set(p, n);
    }
    this.podsWithAffinity.delete(uid);
    this.generation++;
    return pi;
  }
}
