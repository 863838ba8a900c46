/**
 * User impersonation (Impersonate-User, Impersonate-Group, Impersonate-Uid and
 * Impersonate-Extra-<key> headers; `kubectl --as`), as kube-apiserver's WithImpersonation
 * filter: each impersonated attribute needs the `impersonate` verb on users (or on the
 * ServiceAccount, in its namespace, for system:serviceaccount:<ns>:<name>), groups,
 * uids or userextras/<key>; the request then runs as the impersonated user, who gets the
 * ServiceAccount groups when none are given, and system:authenticated.
 */
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.js';
import type { UserInfo } from '../handler.js';
import { forbidden, type RbacAuthorizer } from './authorizer.js';
import type { Attributes } from './rules.js';

/** Every value of a (repeatable) header; an in-process request has no headersDistinct. */
function values(req: IncomingMessage, name: string): string[] {
  const raw = req.headersDistinct?.[name] ?? ([] as string[]).concat(req.headers[name] ?? []);
  return raw.filter((v) => v !== '');
}

export function wantsImpersonation(req: IncomingMessage): boolean {
  const h = req.headers;
  return h['impersonate-user'] !== undefined || h['impersonate-group'] !== undefined || h['impersonate-uid'] !== undefined || Object.keys(h).some((k) => k.startsWith('impersonate-extra-'));
}

export async function impersonate(req: IncomingMessage, actor: UserInfo, authz: RbacAuthorizer): Promise<UserInfo> {
  const username = values(req, 'impersonate-user')[0];
  const groups = values(req, 'impersonate-group');
  const uid = values(req, 'impersonate-uid')[0];
  const extra: Record<string, string[]> = {};
  for (const k of Object.keys(req.headers)) {
    if (!k.startsWith('impersonate-extra-')) continue;
    extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = values(req, k);
  }
  if (!username) throw errors.badRequest(`requested ${JSON.stringify({ groups, uid, extra })} without impersonating a user`);
  const checks: Attributes[] = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (sa) checks.push({ user: actor, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] });
  else checks.push({ user: actor, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'users', name: username });
  for (const g of groups) checks.push({ user: actor, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'groups', name: g });
  if (uid) checks.push({ user: actor, verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) checks.push({ user: actor, verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, name: v });
  for (const a of checks) {
    const d = await authz.authorize(a);
    if (!d.allowed) throw forbidden(a, d.reason);
  }
  const out = [...groups];
  if (sa && !groups.length) out.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  if (username !== 'system:anonymous' && !out.includes('system:authenticated') && !out.includes('system:unauthenticated')) out.push('system:authenticated');
  const user: UserInfo = { name: username, groups: out };
  if (uid) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}
