/**
 * The RBAC authorizer: a request is allowed when a ClusterRoleBinding, or a RoleBinding in
 * the request's namespace, binds the user (by name, by one of its groups, or as its
 * ServiceAccount) to a role with a rule matching it. Members of system:masters are allowed
 * everything without looking (kube-apiserver's privileged-group authorizer; skiff's own
 * components use such identities: see server/skiff-server.ts). A denial is a 403 with
 * upstream's metav1.Status message, naming the roles RBAC could not resolve.
 */
import { ApiError } from '../errors.js';
import type { BindingEntry, PolicyCache } from './policy-cache.js';
import { ruleAllows, type Attributes, type PolicyRule } from './rules.js';
import { NODE_RULES } from './bootstrap-policy.js';

export const SYSTEM_MASTERS = 'system:masters';
export const SYSTEM_NODES = 'system:nodes';

export interface Decision {
  allowed: boolean;
  reason: string;
}

/** The string upstream's describers give a binding in an "allowed by" reason. */
function describe(b: BindingEntry): string {
  const s = b.subject;
  const who = s.kind === 'ServiceAccount' ? `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || b.namespace || ''}`)}` : `${s.kind} ${JSON.stringify(s.name)}`;
  const binding = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} ${JSON.stringify(binding)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${who}`;
}

export class RbacAuthorizer {
  constructor(readonly cache: PolicyCache) {}

  /** The rules a binding's roleRef resolves to, or the error upstream reports for it. */
  refRules(ref: { kind: string; name: string }, namespace: string | undefined): PolicyRule[] | string {
    if (ref.kind === 'ClusterRole') {
      const cr = this.cache.clusterRole(ref.name);
      return cr ? (cr.rules ?? []) : `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`;
    }
    if (ref.kind === 'Role' && namespace) return this.cache.role(namespace, ref.name) ?? `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`;
    return `unsupported role reference kind: ${JSON.stringify(ref.kind)}`;
  }

  /**
   * Calls visit for each binding that applies to the user in `namespace`, cluster bindings
   * first, as upstream's VisitRulesFor; stops when visit returns true.
   */
  private visit(user: { name: string; groups: string[] }, namespace: string | undefined, visit: (b: BindingEntry) => boolean): boolean {
    const c = this.cache;
    for (let pass = 0; pass < 2; pass++) {
      const ns = pass === 0 ? undefined : namespace;
      if (pass === 1 && !ns) break;
      for (const b of c.bindingsFor(ns, `u:${user.name}`)) if (visit(b)) return true;
      for (const g of user.groups) for (const b of c.bindingsFor(ns, `g:${g}`)) if (visit(b)) return true;
    }
    return false;
  }

  async authorize(a: Attributes): Promise<Decision> {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    await this.cache.ready();
    return this.authorizeSync(a);
  }

  /** authorize() once the cache is loaded (always so after the request's own authorization). */
  authorizeSync(a: Attributes): Decision {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    // Nodes: upstream's system:node rules, held by the group (a simple Node authorizer).
    if (a.user.groups.includes(SYSTEM_NODES) && NODE_RULES.some((r) => ruleAllows(a, r))) return { allowed: true, reason: '' };
    const errs: string[] = [];
    let by: BindingEntry | undefined;
    this.visit(a.user, a.namespace, (b) => {
      const rules = this.refRules(b.roleRef, b.namespace);
      if (typeof rules === 'string') {
        errs.push(rules);
        return false;
      }
      for (const r of rules) if (ruleAllows(a, r)) return !!(by = b);
      return false;
    });
    if (by) return { allowed: true, reason: `RBAC: allowed by ${describe(by)}` };
    return { allowed: false, reason: errs.length ? `RBAC: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}` : '' };
  }

  /** Every rule the user holds in `namespace` (cluster-wide rules included), and resolution errors. */
  rulesFor(user: { name: string; groups: string[] }, namespace: string | undefined): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = user.groups.includes(SYSTEM_NODES) ? [...NODE_RULES] : [];
    const errors: string[] = [];
    this.visit(user, namespace, (b) => {
      const r = this.refRules(b.roleRef, b.namespace);
      if (typeof r === 'string') errors.push(r);
      else rules.push(...r);
      return false;
    });
    return { rules, errors };
  }
}

/** responsewriters.forbiddenMessage + apierrors.NewForbidden, as kube-apiserver answers a denied request. */
export function forbidden(a: Attributes, reason: string): ApiError {
  const user = JSON.stringify(a.user.name);
  let msg: string;
  if (!a.resourceRequest) msg = `User ${user} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
    msg = `User ${user} cannot ${a.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(a.apiGroup ?? '')} ${a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope'}`;
  }
  if (reason) msg += `: ${reason}`;
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {});
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource!;
  const details: Record<string, string> = {};
  if (a.name) details.name = a.name;
  if (a.apiGroup) details.group = a.apiGroup;
  details.kind = a.resource!;
  return new ApiError(403, 'Forbidden', `${gr}${a.name ? ` ${JSON.stringify(a.name)}` : ''} is forbidden: ${msg}`, details);
}
