/**
 * Privilege-escalation prevention on RBAC writes, as upstream's rbac REST storage
 * (registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased): a user may
 * write a Role or ClusterRole only with rules it already holds (in that namespace, or
 * cluster-wide), unless it may `escalate` that role; setting an aggregationRule needs every
 * permission; a binding may reference only a role whose every rule the user holds, unless
 * it may `bind` that role. system:masters is exempt. Denials are 403 Forbidden with
 * upstream's message listing the missing rules.
 */
import { ApiError } from '../errors.js';
import type { UserInfo } from '../handler.js';
import { SYSTEM_MASTERS, type RbacAuthorizer } from './authorizer.js';
import { compactRules, compactString, goQuotedList, uncovered, type PolicyRule } from './rules.js';

const RBAC = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function forbiddenOn(plural: string, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${plural}.${RBAC} ${JSON.stringify(name)} is forbidden: ${why}`, { name, group: RBAC, kind: plural });
}

/** ConfirmNoEscalation: the message, or undefined when the user holds every rule. */
function escalation(authz: RbacAuthorizer, user: UserInfo, namespace: string | undefined, rules: PolicyRule[]): string | undefined {
  const owner = authz.rulesFor(user, namespace);
  const missing = uncovered(owner.rules, rules);
  if (!missing.length) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (owner.errors.length) msg += `; resolution errors: [${owner.errors.join(' ')}]`;
  return msg;
}

const policyFields = (o: any) => JSON.stringify([o?.rules ?? [], o?.aggregationRule ?? null, o?.subjects ?? [], o?.roleRef ?? null, o?.metadata?.labels ?? {}, o?.metadata?.annotations ?? {}]);

/** Throws 403 (or 404 for a binding to a missing role) when the write would escalate privileges. */
export function checkRbacWrite(authz: RbacAuthorizer, user: UserInfo, plural: string, obj: any, old: any | undefined): void {
  if (user.groups.includes(SYSTEM_MASTERS)) return;
  // Only garbage-collection fields (owners, finalizers) changed: nothing is granted.
  if (old && policyFields(old) === policyFields(obj)) return;
  const name = obj.metadata?.name ?? '';
  const ns: string | undefined = obj.metadata?.namespace || undefined;
  const allowed = (verb: string, resource: string, resName: string) => authz.authorizeSync({ user, verb, resourceRequest: true, apiGroup: RBAC, resource, namespace: ns, name: resName }).allowed;
  switch (plural) {
    case 'roles':
    case 'clusterroles': {
      if (allowed('escalate', plural, name)) return;
      const msg = escalation(authz, user, ns, obj.rules ?? []);
      if (msg) throw forbiddenOn(plural, name, msg);
      if (plural === 'clusterroles' && obj.aggregationRule && escalation(authz, user, undefined, FULL_AUTHORITY)) throw forbiddenOn(plural, name, 'must have cluster-admin privileges to use the aggregationRule');
      return;
    }
    case 'rolebindings':
    case 'clusterrolebindings': {
      const ref = obj.roleRef ?? {};
      const refPlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (allowed('bind', refPlural, ref.name ?? '')) return;
      const rules = authz.refRules(ref, ns);
      if (typeof rules === 'string') {
        const kind = ref.kind === 'Role' ? 'role' : 'clusterrole';
        throw new ApiError(404, 'NotFound', rules, { name: ref.name, group: RBAC, kind });
      }
      const msg = escalation(authz, user, ns, rules);
      if (msg) throw forbiddenOn(plural, name, msg);
      return;
    }
  }
}
