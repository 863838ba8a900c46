/**
 * The write path shared by create, update and patch: type-meta and namespace checks,
 * defaulting, schema field validation, the kind's strategy (status handling, generation),
 * metadata and semantic validation (422 Invalid with causes), namespace lifecycle
 * admission, field ownership.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { apiVersionOf } from '../../api/types.js';
import { validateObjectMeta } from '../../api/builtin/validation.js';
import { ApiError, errors } from '../errors.js';
import { recordManagedFields } from '../patch/index.js';
import { fieldManager, isDryRun, rfc3339, type RequestContext } from './context.js';
import { pruneUnknown, typeErrors } from './fields.js';
import { admitPodPriority } from '../admission/priority.js';
import { admitPodServiceAccount } from '../admission/service-account.js';
import { admitStorage } from '../admission/storage.js';
import { admitLimitRanger } from '../admission/limit-ranger.js';
import { admitResourceQuota } from '../admission/resource-quota.js';
import { checkRbacWrite } from '../rbac/escalation.js';

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateSuffix(): string {
  const b = randomBytes(5);
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[b[i] % GENERATE_ALPHABET.length];
  return s;
}

function cannotHandle(ctx: RequestContext, detail: string): ApiError {
  const { def } = ctx;
  return errors.badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${detail}`);
}

/** apiVersion/kind in the body must name the URL's kind; the namespace must match the URL's. */
export function checkIdentity(ctx: RequestContext, obj: any): void {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest(`the body of the request was not a ${ctx.def.kind} object`);
  const want = apiVersionOf(ctx.def);
  if (obj.apiVersion !== undefined && obj.apiVersion !== want) throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
  if (obj.kind !== undefined && obj.kind !== ctx.def.kind) throw cannotHandle(ctx, `the kind in the data (${obj.kind}) does not match the expected kind (${ctx.def.kind})`);
  if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) throw cannotHandle(ctx, `json: cannot unmarshal ${Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata} into Go struct field ${ctx.def.kind}.metadata of type v1.ObjectMeta`);
  obj.apiVersion = want;
  obj.kind = ctx.def.kind;
  obj.metadata ??= {};
  if (ctx.def.namespaced) {
    const urlNs = ctx.info.namespace;
    if (obj.metadata.namespace && urlNs && obj.metadata.namespace !== urlNs) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (urlNs) obj.metadata.namespace = urlNs;
  } else if (obj.metadata.namespace) delete obj.metadata.namespace;
}

/** Schema checks per ?fieldValidation (default Warn, as kube-apiserver). */
export function checkFields(ctx: RequestContext, obj: any): void {
  const reg = ctx.registry;
  const schema = reg.definitions.get(ctx.def.schemaName);
  // Custom objects are unstructured: their schema validation reports type errors (422).
  const bad = ctx.def.custom ? [] : typeErrors(reg, schema, obj);
  if (bad.length) {
    const b = bad[0];
    throw cannotHandle(ctx, `json: cannot unmarshal ${b.got} into Go struct field ${ctx.def.kind}.${b.path} of type ${b.expected}`);
  }
  const mode = ctx.query.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(mode)) throw errors.badRequest(`fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Strict", "Warn"`);
  const unknown = pruneUnknown(reg, schema, obj);
  if (!unknown.length) return;
  if (mode === 'Strict') throw cannotHandle(ctx, `strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  if (mode === 'Warn') for (const u of unknown) ctx.warnings.push(`unknown field "${u}"`);
}

/** Objects may be created only in a namespace that exists and is not terminating. */
export async function checkNamespace(ctx: RequestContext, obj: any): Promise<void> {
  if (!ctx.def.namespaced) return;
  if (ctx.namespaces?.isActive(obj.metadata.namespace)) return;
  const nsDef = ctx.registry.lookup('', 'v1', 'namespaces')!;
  const ns = await ctx.store.tryGet(nsDef, undefined, obj.metadata.namespace);
  if (!ns) throw errors.notFound('', 'namespaces', obj.metadata.namespace);
  if (ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
    const e = errors.forbidden(ctx.def.group, ctx.def.plural, obj.metadata.name ?? '', `unable to create new content in namespace ${obj.metadata.namespace} because it is being terminated`);
    throw new ApiError(403, 'Forbidden', e.message, { ...e.details, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${obj.metadata.namespace} is being terminated`, field: 'metadata.namespace' }] });
  }
}

function validate(ctx: RequestContext, obj: any, old: any | undefined, operation: 'create' | 'update' | 'status'): void {
  const errs = [...validateObjectMeta(obj, ctx.def, { old, operation }), ...(ctx.def.validate?.(obj, { old, operation }) ?? [])];
  if (errs.length) throw errors.invalid(ctx.def.group, ctx.def.kind, obj.metadata?.name ?? obj.metadata?.generateName ?? '', errs);
}

/** Prepares a new object for storage (create, or apply/patch creating). */
export async function admitCreate(ctx: RequestContext, obj: any): Promise<any> {
  checkIdentity(ctx, obj);
  checkFields(ctx, obj);
  const m = obj.metadata;
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink']) delete m[f];
  if (!m.name && m.generateName) m.name = `${m.generateName}${generateSuffix()}`;
  m.uid = randomUUID();
  m.creationTimestamp = rfc3339(ctx.now());
  ctx.def.defaults?.(obj);
  ctx.def.prepareForCreate?.(obj);
  if (ctx.def.generation) m.generation = 1;
  validate(ctx, obj, undefined, 'create');
  if (ctx.authorizer && ctx.def.group === 'rbac.authorization.k8s.io') checkRbacWrite(ctx.authorizer, ctx.user, ctx.def.plural, obj, undefined);
  await checkNamespace(ctx, obj);
  if (ctx.def.plural === 'pods' && !ctx.def.group) await admitPodPriority(ctx.registry, ctx.store, obj);
  if (ctx.query.get('_skipManagedFields') !== 'true') recordManagedFields({ registry: ctx.registry, schemaName: ctx.def.schemaName, old: undefined, updated: obj, manager: fieldManager(ctx), apiVersion: apiVersionOf(ctx.def), now: ctx.now() });
  // As upstream, fields a mutating admission plugin adds after the field manager ran are
  // nobody's: a later server-side apply without them leaves them in place.
  if (ctx.def.plural === 'pods' && !ctx.def.group) await admitPodServiceAccount(ctx.registry, ctx.store, obj, generateSuffix);
  if (!ctx.def.group && (ctx.def.plural === 'persistentvolumeclaims' || ctx.def.plural === 'persistentvolumes')) await admitStorage(ctx.registry, ctx.store, ctx.def.plural, obj);
  if (!ctx.def.group) await admitLimitRanger(ctx.registry, ctx.store, ctx.def.plural, obj, ctx.admissionCaches?.limitRanges);
  // Validating admission last: ResourceQuota judges (and reserves) the final object.
  if (ctx.def.namespaced) await admitResourceQuota(ctx.registry, ctx.store, ctx.def.group, ctx.def.plural, obj, { dryRun: isDryRun(ctx.query), now: ctx.now(), presence: ctx.admissionCaches?.quotas });
  return obj;
}

const specOf = (o: any) => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
};

/** What a change of bumps metadata.generation: the spec; for a custom kind without the status subresource, status too (as upstream). */
function generationContent(def: RequestContext['def'], o: any): string {
  if (def.custom && !def.subresources?.status) {
    const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = o;
    return JSON.stringify(rest);
  }
  return specOf(o);
}

/**
 * Prepares an updated object: identity kept from the stored one, the strategy applied
 * (main resource keeps status, status subresource keeps everything else), generation
 * bumped when the spec changed, then validation.
 */
export function admitUpdate(ctx: RequestContext, obj: any, old: any, o: { subresource?: string; manager?: string; skipFields?: boolean } = {}): any {
  checkIdentity(ctx, obj);
  if (obj.metadata.name !== undefined && obj.metadata.name !== old.metadata.name) throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${old.metadata.name})`);
  // A status write uses only .status of the body: only that is checked.
  if (!o.skipFields) checkFields(ctx, o.subresource === 'status' ? { apiVersion: obj.apiVersion, kind: obj.kind, status: obj.status } : obj);
  const m = obj.metadata;
  m.name = old.metadata.name;
  if (m.uid !== undefined && m.uid !== old.metadata.uid) throw errors.conflict(ctx.def.group, ctx.def.plural, old.metadata.name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${old.metadata.uid}`);
  m.uid = old.metadata.uid;
  m.creationTimestamp = old.metadata.creationTimestamp;
  m.deletionTimestamp = old.metadata.deletionTimestamp;
  m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
  if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
  if (old.metadata.generation !== undefined) m.generation = old.metadata.generation;
  let result = obj;
  if (o.subresource === 'status') {
    // Status writes change only status (upstream's status strategies keep spec and metadata).
    result = { ...old, metadata: { ...old.metadata, resourceVersion: obj.metadata.resourceVersion }, status: obj.status };
    if (obj.metadata.managedFields) result.metadata.managedFields = obj.metadata.managedFields;
  } else {
    ctx.def.defaults?.(result);
    if (ctx.def.subresources?.status || ctx.def.prepareForUpdate) ctx.def.prepareForUpdate?.(result, old);
    if (ctx.def.subresources?.status && !ctx.def.prepareForUpdate) result.status = old.status;
    if (ctx.def.generation && generationContent(ctx.def, result) !== generationContent(ctx.def, old)) result.metadata.generation = (old.metadata.generation ?? 1) + 1;
  }
  // A deleted object with deletion-blocking fields cannot gain new finalizers? (upstream allows removal only)
  if (old.metadata.deletionTimestamp && (result.metadata.finalizers ?? []).some((f: string) => !(old.metadata.finalizers ?? []).includes(f))) {
    throw errors.invalid(ctx.def.group, ctx.def.kind, old.metadata.name, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: 'no new finalizers can be added if the object is being deleted' }]);
  }
  validate(ctx, result, old, o.subresource === 'status' ? 'status' : 'update');
  if (ctx.authorizer && ctx.def.group === 'rbac.authorization.k8s.io') checkRbacWrite(ctx.authorizer, ctx.user, ctx.def.plural, result, old);
  recordManagedFields({ registry: ctx.registry, schemaName: ctx.def.schemaName, old, updated: result, manager: o.manager ?? fieldManager(ctx), apiVersion: apiVersionOf(ctx.def), now: ctx.now(), subresource: o.subresource });
  return result;
}

/** True when nothing but resourceVersion and managedFields timestamps differ (upstream skips such writes). */
export function unchanged(a: any, b: any): boolean {
  const replacer = function (this: any, k: string, v: unknown) {
    if (k === 'resourceVersion' && this && typeof this === 'object' && 'uid' in this) return undefined;
    if (k === 'time' && this && typeof this === 'object' && 'manager' in this) return undefined;
    return v;
  };
  return JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}
