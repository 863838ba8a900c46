/**
 * authorization.k8s.io/v1 access reviews (`kubectl auth can-i`): SelfSubjectAccessReview
 * asks about the caller, SubjectAccessReview about any user and groups, and
 * LocalSubjectAccessReview about one namespace. Each is answered at once (201, not stored)
 * with status.allowed and the authorizer's reason, as upstream's REST handlers.
 */
import type { FieldError } from '../../api/types.js';
import { mediaType, parseBody, readRaw } from '../body.js';
import { errors } from '../errors.js';
import type { RequestContext } from '../rest/context.js';
import { sendJson } from '../rest/respond.js';
import type { RbacAuthorizer } from './authorizer.js';
import type { Attributes } from './rules.js';

const GROUP = 'authorization.k8s.io';

function specErrors(spec: any): FieldError[] {
  const out: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) out.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: spec.nonResourceAttributes, valueText: `&authorization.NonResourceAttributes{Path:${JSON.stringify(spec.nonResourceAttributes.path ?? '')}, Verb:${JSON.stringify(spec.nonResourceAttributes.verb ?? '')}}`, detail: 'cannot be specified in combination with resourceAttributes' });
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) out.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', value: null, valueText: '(*authorization.NonResourceAttributes)(nil)', detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  return out;
}

export async function accessReview(ctx: RequestContext, authz: RbacAuthorizer | undefined): Promise<void> {
  const { def } = ctx;
  if ((ctx.req.method ?? 'GET') !== 'POST' || ctx.info.name !== undefined) throw errors.methodNotSupported(def.plural, ctx.req.method ?? '');
  const body = (parseBody(await readRaw(ctx.req), mediaType(ctx.req)) ?? {}) as any;
  if (def.kind === 'SelfSubjectRulesReview') return rulesReview(ctx, body, authz);
  if (body.kind !== undefined && body.kind !== def.kind) throw errors.badRequest(`${def.kind} in version "v1" cannot be handled as a ${def.kind}: the kind in the data (${body.kind}) does not match the expected kind (${def.kind})`);
  const spec = { ...(body.spec ?? {}) };
  const errs = specErrors(spec);
  let user: { name: string; groups: string[] };
  if (def.kind === 'SelfSubjectAccessReview') {
    user = ctx.user;
  } else {
    if (!spec.user && !(spec.groups ?? []).length) errs.push({ type: 'FieldValueInvalid', field: 'spec.user', value: spec.user ?? '', detail: 'at least one of user or group must be specified' });
    if (def.kind === 'LocalSubjectAccessReview' && spec.nonResourceAttributes) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: spec.nonResourceAttributes, valueText: '&authorization.NonResourceAttributes{...}', detail: 'disallowed on this kind of request' });
    user = { name: spec.user ?? '', groups: spec.groups ?? [] };
  }
  if (errs.length) throw errors.invalid(GROUP, def.kind, '', errs);
  if (def.kind === 'LocalSubjectAccessReview' && (spec.resourceAttributes?.namespace ?? '') !== ctx.info.namespace) throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${ctx.info.namespace}`);
  let attrs: Attributes;
  if (spec.resourceAttributes) {
    const r = spec.resourceAttributes;
    attrs = { user, verb: r.verb ?? '', resourceRequest: true, namespace: r.namespace || undefined, apiGroup: r.group ?? '', resource: r.resource ?? '', subresource: r.subresource || undefined, name: r.name || undefined };
  } else attrs = { user, verb: spec.nonResourceAttributes.verb ?? '', resourceRequest: false, path: spec.nonResourceAttributes.path ?? '' };
  const d = authz ? await authz.authorize(attrs) : { allowed: true, reason: '' };
  const status: Record<string, unknown> = { allowed: d.allowed };
  if (d.reason) status.reason = d.reason;
  const metadata = { ...(body.metadata ?? {}), creationTimestamp: null };
  if (ctx.info.namespace) metadata.namespace = ctx.info.namespace;
  sendJson(ctx.res, 201, { kind: def.kind, apiVersion: `${GROUP}/v1`, metadata, spec, status });
}

/** SelfSubjectRulesReview (`kubectl auth can-i --list`): every rule the caller holds in spec.namespace. */
function rulesReview(ctx: RequestContext, body: any, authz: RbacAuthorizer | undefined): void {
  const ns = body.spec?.namespace ?? '';
  if (!ns) throw errors.badRequest('no namespace on request');
  const { rules, errors: errs } = authz ? authz.rulesFor(ctx.user, ns) : { rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], errors: [] };
  const resourceRules: any[] = [];
  const nonResourceRules: any[] = [];
  for (const r of rules) {
    if ((r.nonResourceURLs ?? []).length) nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
    else {
      const rr: any = { verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] };
      if ((r.resourceNames ?? []).length) rr.resourceNames = r.resourceNames;
      resourceRules.push(rr);
    }
  }
  const status: Record<string, unknown> = { resourceRules, nonResourceRules, incomplete: errs.length > 0 };
  if (errs.length) status.evaluationError = errs.join(', ');
  sendJson(ctx.res, 201, { kind: 'SelfSubjectRulesReview', apiVersion: `${GROUP}/v1`, metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec: { namespace: ns }, status });
}
