/** Pod (anti-)affinity term matching shared by InterPodAffinity and preemption. */
import { matchesSelector } from '../../client/selector.js';

export interface Term {
  selector: any;
  namespaces: Set<string> | 'all';
  topologyKey: string;
  weight: number;
}

/** Resolves which namespaces a term covers: listed ones, a namespaceSelector, or the pod's own. */
export function termOf(t: any, podNs: string, nsLabels: (ns: string) => Record<string, string> | undefined, weight = 1): Term {
  let namespaces: Set<string> | 'all';
  if (t.namespaceSelector && Object.keys(t.namespaceSelector).length === 0) namespaces = 'all';
  else {
    namespaces = new Set(t.namespaces ?? []);
    if (t.namespaceSelector) namespaces = { sel: t.namespaceSelector, set: namespaces } as any;
    else if (!namespaces.size) namespaces.add(podNs);
  }
  const term: Term = { selector: t.labelSelector, namespaces, topologyKey: t.topologyKey, weight };
  (term as any).nsLabels = nsLabels;
  return term;
}

export function termMatchesPod(term: Term, pod: any): boolean {
  const ns = pod.metadata?.namespace;
  const n: any = term.namespaces;
  if (n !== 'all') {
    if (n instanceof Set) {
      if (!n.has(ns)) return false;
    } else if (!n.set.has(ns) && !matchesSelector(n.sel, (term as any).nsLabels(ns))) return false;
  }
  return matchesSelector(term.selector, pod.metadata?.labels);
}

export function requiredAffinityTerms(pod: any) {
  return pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}
export function requiredAntiAffinityTerms(pod: any) {
  return pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}
export function preferredAffinityTerms(pod: any) {
  return pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
}
export function preferredAntiAffinityTerms(pod: any) {
  return pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
}
