/**
 * PolicyRule matching as upstream's RBAC authorizer (plugin/pkg/auth/authorizer/rbac):
 * "*" matches every verb, group, resource (subresources included) and URL; "*\/log" matches
 * the log subresource of any resource; an empty resourceNames matches every name; a
 * non-resource URL rule ending in "*" matches by prefix. And the escalation arithmetic of
 * registry/rbac/validation: Covers (every atomic piece of the wanted rules held by one
 * owner rule) and the compact form upstream prints missing rules in.
 */

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Attributes {
  user: { name: string; groups: string[] };
  verb: string;
  resourceRequest: boolean;
  /** Resource requests. */
  namespace?: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Non-resource requests. */
  path?: string;
}

const has = (list: string[] | undefined, v: string) => !!list && list.includes(v);

function resourceMatches(rule: PolicyRule, resource: string, sub: string | undefined): boolean {
  const combined = sub ? `${resource}/${sub}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (sub && r.length === sub.length + 2 && r.startsWith('*/') && r.endsWith(sub)) return true;
  }
  return false;
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!(has(rule.verbs, '*') || has(rule.verbs, a.verb))) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(rule, a.path ?? '');
  if (!(has(rule.apiGroups, '*') || has(rule.apiGroups, a.apiGroup ?? ''))) return false;
  if (!resourceMatches(rule, a.resource ?? '', a.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (!!a.name && names.includes(a.name));
}

/** One verb on one group/resource(/name), or one verb on one URL. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups ?? [])
    for (const r of rule.resources ?? [])
      for (const v of rule.verbs ?? []) {
        if ((rule.resourceNames ?? []).length) for (const n of rule.resourceNames!) out.push({ apiGroups: [g], resources: [r], verbs: [v], resourceNames: [n] });
        else out.push({ apiGroups: [g], resources: [r], verbs: [v] });
      }
  for (const u of rule.nonResourceURLs ?? []) for (const v of rule.verbs ?? []) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

const hasAll = (set: string[] | undefined, want: string[] | undefined) => (want ?? []).every((w) => has(set, w));

function resourcesCover(owner: string[] | undefined, want: string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, want)) return true;
  for (const p of want ?? []) {
    if (has(owner, p)) continue;
    const i = p.indexOf('/');
    if (i < 0 || !has(owner, `*/${p.slice(i + 1)}`)) return false;
  }
  return true;
}

function urlsCover(owner: string[] | undefined, want: string[] | undefined): boolean {
  return (want ?? []).every((w) => (owner ?? []).some((o) => o === w || (o.endsWith('*') && w.startsWith(o.replace(/\*+$/, '')))));
}

export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const names = (sub.resourceNames ?? []).length === 0 ? (owner.resourceNames ?? []).length === 0 : (owner.resourceNames ?? []).length === 0 || hasAll(owner.resourceNames, sub.resourceNames);
  return verbs && groups && resourcesCover(owner.resources, sub.resources) && names && urlsCover(owner.nonResourceURLs, sub.nonResourceURLs);
}

/** The atomic pieces of `wanted` that no rule of `owner` covers (empty: covered). */
export function uncovered(owner: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdownRule).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

/** CompactRules: simple rules (one group, one resource, ≤1 name) merged across verbs. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const simple = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const isSimple = (r.verbs ?? []).length > 0 && (r.resources ?? []).length === 1 && (r.apiGroups ?? []).length === 1 && (r.resourceNames ?? []).length <= 1 && !(r.nonResourceURLs ?? []).length;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const e = simple.get(key);
    if (e) e.verbs = [...(e.verbs ?? []), ...(r.verbs ?? [])];
    else simple.set(key, { ...r, verbs: [...(r.verbs ?? [])] });
  }
  return [...out, ...simple.values()];
}

/** Go's %q of a []string: ["a" "b"]. */
export const goQuotedList = (l: string[]) => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;

/** rbacv1helpers.CompactString: {APIGroups:[""], Resources:["pods"], Verbs:["get"]}. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if ((r.apiGroups ?? []).length) parts.push(`APIGroups:${goQuotedList(r.apiGroups!)}`);
  if ((r.resources ?? []).length) parts.push(`Resources:${goQuotedList(r.resources!)}`);
  if ((r.nonResourceURLs ?? []).length) parts.push(`NonResourceURLs:${goQuotedList(r.nonResourceURLs!)}`);
  if ((r.resourceNames ?? []).length) parts.push(`ResourceNames:${goQuotedList(r.resourceNames!)}`);
  if ((r.verbs ?? []).length) parts.push(`Verbs:${goQuotedList(r.verbs!)}`);
  return `{${parts.join(', ')}}`;
}
