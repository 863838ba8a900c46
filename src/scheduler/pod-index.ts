/**
 * Indexes over the pods placed on nodes, so affinity and spreading stay cheap with many
 * pods: pods by namespace and label (a selector with matchLabels visits only the pods
 * carrying its first label), and the required anti-affinity terms of existing pods
 * grouped by term, each with the nodes its pods are on (an incoming pod is checked
 * against each distinct term once, not against every pod).
 */
import { matchesSelector } from '../client/selector.js';

export interface IndexedPod {
  pod: any;
  node: string;
}

interface AntiTerm {
  term: any;
  namespace: string;
  nodes: Map<string, number>;
}

export class PodIndex {
  private readonly pods = new Map<string, IndexedPod>();
  private readonly byLabel = new Map<string, Set<string>>();
  private readonly byNs = new Map<string, Set<string>>();
  private readonly byOwner = new Map<string, Map<string, number>>();
  private readonly anti = new Map<string, AntiTerm>();
  /** Placed pods whose terms score other pods (required affinity, preferred affinity or anti-affinity). */
  readonly scoring = new Map<string, IndexedPod>();

  private static labelKey(ns: string, k: string, v: string): string {
    return `${ns}\u0000${k}\u0000${v}`;
  }

  add(pod: any, node: string): void {
    const uid = pod.metadata.uid;
    if (this.pods.has(uid)) this.remove(uid);
    this.pods.set(uid, { pod, node });
    const ns = pod.metadata.namespace ?? '';
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
      const key = PodIndex.labelKey(ns, k, String(v));
      let s = this.byLabel.get(key);
      if (!s) this.byLabel.set(key, (s = new Set()));
      s.add(uid);
    }
    let n = this.byNs.get(ns);
    if (!n) this.byNs.set(ns, (n = new Set()));
    n.add(uid);
    const owner = controllerUid(pod);
    if (owner && !pod.metadata.deletionTimestamp) {
      let o = this.byOwner.get(owner);
      if (!o) this.byOwner.set(owner, (o = new Map()));
      o.set(node, (o.get(node) ?? 0) + 1);
    }
    const aff = pod.spec?.affinity;
    if (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length || aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length || aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) {
      this.scoring.set(uid, { pod, node });
    }
    for (const t of pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const sig = `${ns}\u0000${JSON.stringify(t)}`;
      let a = this.anti.get(sig);
      if (!a) this.anti.set(sig, (a = { term: t, namespace: ns, nodes: new Map() }));
      a.nodes.set(node, (a.nodes.get(node) ?? 0) + 1);
    }
  }

  remove(uid: string): void {
    const e = this.pods.get(uid);
    if (!e) return;
    this.pods.delete(uid);
    this.scoring.delete(uid);
    const ns = e.pod.metadata.namespace ?? '';
    for (const [k, v] of Object.entries(e.pod.metadata.labels ?? {})) this.byLabel.get(PodIndex.labelKey(ns, k, String(v)))?.delete(uid);
    this.byNs.get(ns)?.delete(uid);
    const owner = controllerUid(e.pod);
    const o = owner && !e.pod.metadata.deletionTimestamp ? this.byOwner.get(owner) : undefined;
    if (o) {
      const n = (o.get(e.node) ?? 1) - 1;
      if (n <= 0) o.delete(e.node);
      else o.set(e.node, n);
      if (!o.size) this.byOwner.delete(owner!);
    }
    for (const t of e.pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const sig = `${ns}\u0000${JSON.stringify(t)}`;
      const a = this.anti.get(sig);
      if (!a) continue;
      const n = (a.nodes.get(e.node) ?? 1) - 1;
      if (n <= 0) a.nodes.delete(e.node);
      else a.nodes.set(e.node, n);
      if (!a.nodes.size) this.anti.delete(sig);
    }
  }

  /**
   * Pods in the given namespaces ('all' = every namespace) matching the selector. Visits
   * only the pods carrying the selector's first matchLabels pair when it has one.
   */
  *matching(namespaces: Iterable<string> | 'all', selector: any): Generator<IndexedPod> {
    const first = Object.entries(selector?.matchLabels ?? {})[0];
    const nsList = namespaces === 'all' ? [...this.byNs.keys()] : [...namespaces];
    for (const ns of nsList) {
      const uids = first ? this.byLabel.get(PodIndex.labelKey(ns, first[0], String(first[1]))) : this.byNs.get(ns);
      for (const uid of uids ?? []) {
        const e = this.pods.get(uid)!;
        if (matchesSelector(selector, e.pod.metadata.labels)) yield e;
      }
    }
  }

  /** How many running (not terminating) pods of this controller each node has: the cluster-default spreading unit. */
  ownerCounts(ownerUid: string): ReadonlyMap<string, number> {
    return this.byOwner.get(ownerUid) ?? new Map();
  }

  /** Distinct required anti-affinity terms of placed pods, with the nodes their pods are on. */
  antiAffinityTerms(): Iterable<AntiTerm> {
    return this.anti.values();
  }
}

function controllerUid(pod: any): string | undefined {
  return (pod.metadata?.ownerReferences ?? []).find((r: any) => r.controller)?.uid;
}
