/**
 * POST serviceaccounts/{name}/token: a TokenRequest (authentication.k8s.io/v1) answered
 * with a signed bound token, as kube-apiserver's TokenREST does. Audiences default to the
 * API server's, expirationSeconds to 3600 (at least 600); a boundObjectRef to a Pod (or
 * Secret) must name an existing object of the same uid, and a Pod must run as this
 * ServiceAccount. Also SelfSubjectReview, which shows what a token authenticates as.
 */
import type { FieldError } from '../../api/types.js';
import { mediaType, parseBody, readRaw } from '../body.js';
import { errors } from '../errors.js';
import type { ServiceAccountTokens } from '../serviceaccount/tokens.js';
import type { UserInfo } from '../handler.js';
import { rfc3339, type RequestContext } from './context.js';
import { sendJson } from './respond.js';

const MIN_EXPIRATION = 600;
const MAX_EXPIRATION = 2 ** 32;

export async function tokenRequest(ctx: RequestContext, tokens: ServiceAccountTokens | undefined): Promise<void> {
  if (!tokens) throw errors.notFound('', 'serviceaccounts/token', ctx.info.name!);
  const body = (parseBody(await readRaw(ctx.req), mediaType(ctx.req)) ?? {}) as any;
  const ns = ctx.info.namespace!;
  const name = ctx.info.name!;
  const spec = { ...(body.spec ?? {}) };
  spec.audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [...tokens.audiences];
  spec.expirationSeconds = spec.expirationSeconds ?? 3600;
  const errs: FieldError[] = [];
  const exp = Number(spec.expirationSeconds);
  if (exp < MIN_EXPIRATION) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: exp, detail: 'may not specify a duration less than 10 minutes' });
  else if (exp > MAX_EXPIRATION) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: exp, detail: 'may not specify a duration larger than 2^32 seconds' });
  const ref = spec.boundObjectRef;
  if (ref && !['Pod', 'Secret', 'Node'].includes(ref.kind)) errs.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', value: ref.kind, detail: 'supported values: "Pod", "Node", "Secret"' });
  if (errs.length) throw errors.invalid('authentication.k8s.io', 'TokenRequest', name, errs);

  const saDef = ctx.registry.lookup('', 'v1', 'serviceaccounts')!;
  const sa = await ctx.store.get(saDef, ns, name);
  let bound: { kind: 'Pod' | 'Secret'; name: string; uid: string } | undefined;
  if (ref) {
    if (ref.kind === 'Node') throw errors.badRequest('cannot bind token to a Node: not supported by this server');
    const def = ctx.registry.lookup('', 'v1', ref.kind === 'Pod' ? 'pods' : 'secrets')!;
    const obj = await ctx.store.get(def, ns, String(ref.name ?? ''));
    if (ref.kind === 'Pod' && (obj.spec?.serviceAccountName ?? 'default') !== name) throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
    if (ref.uid && ref.uid !== obj.metadata.uid)
      throw errors.conflict('', ref.kind, ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    bound = { kind: ref.kind, name: obj.metadata.name, uid: obj.metadata.uid };
    spec.boundObjectRef = { kind: ref.kind, apiVersion: 'v1', name: obj.metadata.name, uid: obj.metadata.uid };
  }
  const { token, expirationTimestamp } = tokens.issue({ namespace: ns, serviceAccount: { name, uid: sa.metadata.uid }, audiences: spec.audiences, expirationSeconds: exp, bound });
  const metadata = { ...(body.metadata ?? {}), name, namespace: ns, creationTimestamp: body.metadata?.creationTimestamp ?? null };
  sendJson(ctx.res, 201, { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata, spec, status: { token, expirationTimestamp: rfc3339(expirationTimestamp) } });
}

/** POST authentication.k8s.io/v1 selfsubjectreviews (`kubectl auth whoami`): the caller's user as authenticated. */
export function selfSubjectReview(res: import('node:http').ServerResponse, user: UserInfo): void {
  const userInfo: Record<string, unknown> = { username: user.name };
  if (user.uid) userInfo.uid = user.uid;
  userInfo.groups = user.groups;
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  sendJson(res, 201, { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo } });
}
