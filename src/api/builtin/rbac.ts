/**
 * rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding, with
 * upstream's defaulting (subject and roleRef apiGroups), validation (pkg/apis/rbac/validation:
 * rules need verbs, resource rules need apiGroups and resources, non-resource URLs only in
 * ClusterRoles and never mixed with resources, roleRef kind/apiGroup and immutability,
 * subject kinds) and table columns (Role: NAME, CREATED AT; bindings: NAME, ROLE, AGE and
 * wide USERS, GROUPS, SERVICEACCOUNTS). Also the authorization.k8s.io/v1 access reviews,
 * which are create-only (served by apiserver/rbac/access-review.ts).
 */
import type { FieldError, ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { col } from './printing.js';
import { dns1123Subdomain, invalid, notSupported, required, validateLabels } from './validation.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const CREATED_AT = col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', { type: 'date' });

function validateRule(r: any, namespaced: boolean, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!r || typeof r !== 'object') return [invalid(path, r, 'must be an object')];
  if (!(r.verbs ?? []).length) out.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls: string[] = r.nonResourceURLs ?? [];
  if (urls.length) {
    if (namespaced) out.push(invalid(`${path}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if ((r.apiGroups ?? []).length || (r.resources ?? []).length || (r.resourceNames ?? []).length) out.push(invalid(`${path}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    return out;
  }
  if (!(r.apiGroups ?? []).length) out.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!(r.resources ?? []).length) out.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return out;
}

function validateRules(o: any, namespaced: boolean): FieldError[] {
  return (o.rules ?? []).flatMap((r: any, i: number) => validateRule(r, namespaced, `rules[${i}]`));
}

/** ValidateRBACName: a path segment name. */
function rbacNameErrors(name: string): string[] {
  if (name === '.') return ["may not be '.'"];
  if (name === '..') return ["may not be '..'"];
  const out: string[] = [];
  if (name.includes('/')) out.push("may not contain '/'");
  if (name.includes('%')) out.push("may not contain '%'");
  return out;
}

function validateSubject(s: any, namespaced: boolean, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!s?.name) out.push(required(`${path}.name`));
  switch (s?.kind) {
    case 'ServiceAccount':
      if (s.name) for (const m of dns1123Subdomain(s.name)) out.push(invalid(`${path}.name`, s.name, m));
      if (s.apiGroup) out.push(notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) out.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) out.push(notSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      out.push(notSupported(`${path}.kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return out;
}

/** Go's %#v of the internal rbac.RoleRef, as upstream's "cannot change roleRef" error prints it. */
const roleRefText = (r: any) => `rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`;

function validateBinding(o: any, namespaced: boolean, old: any): FieldError[] {
  const out: FieldError[] = [];
  const ref = o.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) out.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) out.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) out.push(required('roleRef.name'));
  else for (const m of rbacNameErrors(ref.name)) out.push(invalid('roleRef.name', ref.name, m));
  (o.subjects ?? []).forEach((s: any, i: number) => out.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  if (old) {
    const a = old.roleRef ?? {};
    if (a.apiGroup !== ref.apiGroup || a.kind !== ref.kind || a.name !== ref.name) out.push({ type: 'FieldValueInvalid', field: 'roleRef', value: ref, valueText: roleRefText(ref), detail: 'cannot change roleRef' });
  }
  return out;
}

function defaultBinding(o: any): void {
  if (o.roleRef && !o.roleRef.apiGroup) o.roleRef.apiGroup = RBAC_GROUP;
  for (const s of o.subjects ?? []) {
    if (s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/** rbac.SubjectsStrings: users, groups and service accounts (namespace/name) of a binding. */
export function subjectsStrings(subjects: any[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjects ?? []) {
    if (s?.kind === 'User') users.push(s.name);
    else if (s?.kind === 'Group') groups.push(s.name);
    else if (s?.kind === 'ServiceAccount') sas.push(s.namespace ? `${s.namespace}/${s.name}` : s.name);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

const bindingColumns = {
  columns: [col('Role', "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.")],
  cells: (o: any) => [`${o.roleRef?.kind ?? ''}/${o.roleRef?.name ?? ''}`],
  wide: [col('Users', 'Users in the roleBinding'), col('Groups', 'Groups in the roleBinding'), col('ServiceAccounts', 'ServiceAccounts in the roleBinding')],
  wideCells: (o: any) => subjectsStrings(o.subjects),
};

const roleColumns = {
  noAge: true,
  columns: [CREATED_AT],
  cells: (o: any) => [o.metadata?.creationTimestamp ?? '<unknown>'],
};

export const roles = kind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  nameValidation: 'path-segment',
  ...roleColumns,
  validate: (o) => validateRules(o, true),
});

export const clusterroles = kind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
  nameValidation: 'path-segment',
  ...roleColumns,
  validate: (o) => {
    const out = validateRules(o, false);
    const agg = o.aggregationRule;
    if (agg !== undefined && agg !== null) {
      const sels: any[] = agg.clusterRoleSelectors ?? [];
      if (!sels.length) out.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
      sels.forEach((s, i) => out.push(...validateLabels(s?.matchLabels, `aggregationRule.clusterRoleSelectors[${i}].matchLabels`)));
    }
    return out;
  },
});

export const rolebindings = kind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  nameValidation: 'path-segment',
  ...bindingColumns,
  defaults: defaultBinding,
  validate: (o, ctx) => validateBinding(o, true, ctx.operation === 'update' ? ctx.old : undefined),
});

export const clusterrolebindings = kind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
  nameValidation: 'path-segment',
  ...bindingColumns,
  defaults: defaultBinding,
  validate: (o, ctx) => validateBinding(o, false, ctx.operation === 'update' ? ctx.old : undefined),
});

/** authorization.k8s.io/v1 reviews: only `create`, answered without being stored. */
const review = (k: string, plural: string, namespaced: boolean): ResourceDef =>
  kind({ group: 'authorization.k8s.io', version: 'v1', kind: k, plural, namespaced, verbs: ['create'], columns: [], cells: () => [] });

export const accessReviewKinds: ResourceDef[] = [
  review('SelfSubjectAccessReview', 'selfsubjectaccessreviews', false),
  review('SelfSubjectRulesReview', 'selfsubjectrulesreviews', false),
  review('SubjectAccessReview', 'subjectaccessreviews', false),
  review('LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
];

export const rbacKinds: ResourceDef[] = [clusterrolebindings, clusterroles, rolebindings, roles];
