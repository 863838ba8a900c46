/** Pod helpers shared by controllers (podutil in Kubernetes). */

export function isPodActive(p: any): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

export function podReadyCondition(p: any): any | undefined {
  return (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
}

export function isPodReady(p: any): boolean {
  return podReadyCondition(p)?.status === 'True';
}

/** Ready for at least minReadySeconds (availability, as Deployments and ReplicaSets count it). */
export function isPodAvailable(p: any, minReadySeconds: number, now: number): boolean {
  const c = podReadyCondition(p);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
  return since + minReadySeconds * 1000 <= now;
}

export function controllerRef(obj: any): any | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r: any) => r.controller === true);
}

/** Pod from a template, owned by owner (controller ref with blockOwnerDeletion, as upstream). */
export function podFromTemplate(template: any, owner: { apiVersion: string; kind: string; metadata: any }, extraLabels?: Record<string, string>): any {
  const t = template ?? {};
  const labels = { ...(t.metadata?.labels ?? {}), ...(extraLabels ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels,
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ...(t.metadata?.finalizers ? { finalizers: [...t.metadata.finalizers] } : {}),
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}
