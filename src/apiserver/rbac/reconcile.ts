/**
 * Puts the bootstrap policy in place at every server start, as kube-apiserver's
 * rbac/bootstrap-roles post-start hook: missing roles and bindings are created; existing
 * ones annotated autoupdate=true get back any missing label, annotation, rule, aggregation
 * selector or subject (additions kept); autoupdate=false leaves them alone.
 */
import type { Registry } from '../../api/registry.js';
import { ApiError } from '../errors.js';
import type { ObjectStore } from '../object-store.js';
import { AUTOUPDATE, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { uncovered } from './rules.js';

const RBAC = 'rbac.authorization.k8s.io';
const API_VERSION = `${RBAC}/v1`;

function meta(name: string, labels: Record<string, string> = {}) {
  return { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels }, annotations: { [AUTOUPDATE]: 'true' } };
}

function desiredObjects(): { plural: string; obj: any }[] {
  const out: { plural: string; obj: any }[] = [];
  for (const r of BOOTSTRAP_CLUSTER_ROLES) {
    const obj: any = { apiVersion: API_VERSION, kind: 'ClusterRole', metadata: meta(r.name, r.labels) };
    if (r.aggregateFrom) {
      obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: r.aggregateFrom }] };
      obj.rules = [];
    } else obj.rules = r.rules ?? [];
    out.push({ plural: 'clusterroles', obj });
  }
  for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) {
    out.push({
      plural: 'clusterrolebindings',
      obj: { apiVersion: API_VERSION, kind: 'ClusterRoleBinding', metadata: meta(b.name), roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: b.role }, subjects: b.subjects.map((s) => ({ apiGroup: RBAC, ...s })) },
    });
  }
  return out;
}

/** The existing object with whatever of `want` it lacks added, or undefined when nothing is missing. */
function reconciled(existing: any, want: any): any | undefined {
  if (existing.metadata.annotations?.[AUTOUPDATE] === 'false') return undefined;
  const next = structuredClone(existing);
  const m = next.metadata;
  m.labels = { ...want.metadata.labels, ...(m.labels ?? {}) };
  m.annotations = { ...want.metadata.annotations, ...(m.annotations ?? {}) };
  if (want.kind === 'ClusterRole') {
    if (want.aggregationRule) {
      const sels: any[] = (next.aggregationRule ??= { clusterRoleSelectors: [] }).clusterRoleSelectors ??= [];
      for (const s of want.aggregationRule.clusterRoleSelectors) if (!sels.some((x) => JSON.stringify(x) === JSON.stringify(s))) sels.push(s);
    } else {
      const rules: any[] = (next.rules ??= []);
      for (const r of want.rules) if (uncovered(rules, [r]).length) rules.push(r);
    }
  } else {
    const subs: any[] = (next.subjects ??= []);
    for (const s of want.subjects) if (!subs.some((x) => x.kind === s.kind && x.name === s.name)) subs.push(s);
  }
  return JSON.stringify(next) === JSON.stringify(existing) ? undefined : next;
}

export async function reconcileBootstrapPolicy(registry: Registry, store: ObjectStore, now: () => Date): Promise<void> {
  for (const { plural, obj } of desiredObjects()) {
    const def = registry.lookup(RBAC, 'v1', plural)!;
    try {
      const existing = await store.tryGet(def, undefined, obj.metadata.name);
      if (!existing) {
        obj.metadata.uid = crypto.randomUUID();
        obj.metadata.creationTimestamp = now().toISOString().replace(/\.\d+Z$/, 'Z');
        await store.create(def, obj);
        continue;
      }
      const next = reconciled(existing, obj);
      if (next) await store.update(def, next, Number(existing.metadata.resourceVersion));
    } catch (err) {
      // Another server of the cluster reconciled it first.
      if (!(err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'Conflict'))) throw err;
    }
  }
}
