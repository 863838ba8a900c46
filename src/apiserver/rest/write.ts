/**
 * create (POST), update (PUT) and patch (PATCH): optimistic concurrency on
 * resourceVersion (409 Conflict when stale), no-op writes skipped, dryRun=All honoured,
 * and an update that removes the last finalizer of an object being deleted deletes it.
 * Patches (json, merge, strategic, apply) are applied to the latest object and retried
 * on a conflicting concurrent write, as kube-apiserver does.
 */
import { apiVersionOf } from '../../api/types.js';
import { readRaw, mediaType, parseBody } from '../body.js';
import { ApiError, errors } from '../errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply } from '../patch/index.js';
import { isDryRun, rfc3339, type RequestContext } from './context.js';
import { admitCreate, admitUpdate, checkIdentity, unchanged } from './admit.js';
import { render, sendJson } from './respond.js';
import { RevisionConflictError } from '../../store/errors.js';
import { releaseServiceAllocation, withServiceAllocation } from './service-allocation-hooks.js';
import { admitResourceQuota, quotaChargesUpdate } from '../admission/resource-quota.js';

export async function readObject(ctx: RequestContext): Promise<any> {
  const text = await readRaw(ctx.req);
  return parseBody(text, mediaType(ctx.req));
}

function reply(ctx: RequestContext, code: number, obj: any): void {
  const headers: Record<string, string> = { 'Content-Type': ctx.format.contentType };
  if (ctx.warnings.length) headers['Warning'] = ctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  sendJson(ctx.res, code, render(ctx.def, obj, ctx.format), headers);
}

export async function create(ctx: RequestContext): Promise<void> {
  const obj = await admitCreate(ctx, await readObject(ctx));
  if (isDryRun(ctx.query)) {
    await withServiceAllocation(ctx, obj, undefined, async () => undefined);
    return reply(ctx, 201, obj);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await withServiceAllocation(ctx, obj, undefined, () => ctx.store.create(ctx.def, obj));
      return reply(ctx, 201, obj);
    } catch (err) {
      // A generated name that collided: try another, as upstream retries generateName.
      if (err instanceof ApiError && err.reason === 'AlreadyExists' && obj.metadata.generateName && attempt < 8) {
        obj.metadata.name = `${obj.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
        continue;
      }
      throw err;
    }
  }
}

/** Stores an admitted update; finishes deletion when the last finalizer went away. */
export async function storeUpdate(ctx: RequestContext, obj: any, old: any, expectedRv: number): Promise<{ code: number; obj: any }> {
  if (unchanged(obj, old)) return { code: 200, obj: old };
  if (isDryRun(ctx.query)) return { code: 200, obj };
  if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).length && !(ctx.def.plural === 'pods' && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) && !(ctx.def.plural === 'namespaces' && (obj.spec?.finalizers ?? []).length)) {
    await ctx.store.delete(ctx.def, obj.metadata.namespace, obj.metadata.name, expectedRv);
    await releaseServiceAllocation(ctx, obj);
    return { code: 200, obj };
  }
  const saved = await ctx.store.update(ctx.def, obj, expectedRv);
  return { code: 200, obj: saved };
}

export async function update(ctx: RequestContext, subresource?: string): Promise<void> {
  const body = await readObject(ctx);
  checkIdentity(ctx, body);
  const old = await ctx.store.get(ctx.def, ctx.info.namespace, ctx.info.name!);
  const rv = body.metadata?.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
    throw errors.conflict(ctx.def.group, ctx.def.plural, old.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const obj = admitUpdate(ctx, body, old, { subresource });
  await admitQuotaOnUpdate(ctx, obj, old, subresource);
  const r = await withServiceAllocation(ctx, obj, old, () => storeUpdate(ctx, obj, old, Number(old.metadata.resourceVersion)), subresource);
  reply(ctx, r.code, r.obj);
}

/** ResourceQuota admission of an update: a service or claim that grows is charged the growth. */
async function admitQuotaOnUpdate(ctx: RequestContext, obj: any, old: any, subresource?: string): Promise<void> {
  if (subresource || !quotaChargesUpdate(ctx.def.group, ctx.def.plural) || unchanged(obj, old)) return;
  await admitResourceQuota(ctx.registry, ctx.store, ctx.def.group, ctx.def.plural, obj, { dryRun: isDryRun(ctx.query), now: ctx.now(), old, presence: ctx.admissionCaches?.quotas });
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/apply-patch+cbor'];

export async function patch(ctx: RequestContext, subresource?: string): Promise<void> {
  const type = mediaType(ctx.req);
  if (!PATCH_TYPES.includes(type)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.slice(0, 4).join(', ')}`);
  }
  if (ctx.def.custom && type === 'application/strategic-merge-patch+json') {
    // Custom resources have no patch strategies: upstream refuses strategic merge patch.
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
  }
  const text = await readRaw(ctx.req);
  const p = parseBody(text, type === 'application/apply-patch+yaml' ? type : 'application/json');
  const apply = type === 'application/apply-patch+yaml';
  const manager = ctx.query.get('fieldManager');
  if (apply && !manager) throw errors.badRequest('PATCH, application/apply-patch+yaml requests require fieldManager');
  const force = ctx.query.get('force') === 'true';
  if (force && !apply) throw errors.badRequest('force: Invalid value: true: may not be specified for non-apply patch');
  for (let attempt = 0; ; attempt++) {
    const old = await ctx.store.tryGet(ctx.def, ctx.info.namespace, ctx.info.name!);
    try {
      if (!old) {
        if (!apply || subresource) throw errors.notFound(ctx.def.group, ctx.def.plural, ctx.info.name!);
        // Apply creates the object.
        checkIdentity(ctx, p);
        const applied = serverSideApply({ registry: ctx.registry, schemaName: ctx.def.schemaName, live: undefined, applied: p as any, manager: manager!, force, apiVersion: apiVersionOf(ctx.def), now: ctx.now() });
        applied.metadata.name ??= ctx.info.name;
        if (applied.metadata.name !== ctx.info.name) throw errors.badRequest('the name of the object does not match the name on the URL');
        ctx.query.set('_skipManagedFields', 'true');
        const obj = await admitCreate(ctx, applied);
        await withServiceAllocation(ctx, obj, undefined, async () => {
          if (!isDryRun(ctx.query)) await ctx.store.create(ctx.def, obj);
        });
        return reply(ctx, 201, obj);
      }
      // Every patch function copies its input: the stored object is never modified.
      const base = old;
      let patched: any;
      if (apply) {
        checkIdentity(ctx, p);
        patched = serverSideApply({ registry: ctx.registry, schemaName: ctx.def.schemaName, live: base, applied: p as any, manager: manager!, force, apiVersion: apiVersionOf(ctx.def), now: ctx.now() });
      } else if (type === 'application/json-patch+json') patched = applyJsonPatch(base, p);
      else if (type === 'application/merge-patch+json') patched = applyMergePatch(base, p);
      else patched = applyStrategicMergePatch(ctx.registry, ctx.def.schemaName, base, p);
      if (!patched || typeof patched !== 'object') throw errors.badRequest('the patch produced no object');
      // A resourceVersion set by the patch is a precondition.
      const wantRv = patched.metadata?.resourceVersion;
      if (wantRv && wantRv !== old.metadata.resourceVersion) throw errors.conflict(ctx.def.group, ctx.def.plural, old.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
      // admitUpdate records an Update entry in place: an apply keeps the entries it computed.
      const appliedFields = apply ? patched.metadata?.managedFields : undefined;
      const obj = admitUpdate(ctx, patched, old, { subresource, manager: apply ? manager! : undefined, skipFields: false });
      if (apply) obj.metadata.managedFields = appliedFields;
      await admitQuotaOnUpdate(ctx, obj, old, subresource);
      const r = await withServiceAllocation(ctx, obj, old, () => storeUpdate(ctx, obj, old, Number(old.metadata.resourceVersion)), subresource);
      return reply(ctx, r.code, r.obj);
    } catch (err) {
      const conflict = (err instanceof ApiError && err.reason === 'Conflict' && err.message.includes('has been modified') && !(p as any)?.metadata?.resourceVersion) || err instanceof RevisionConflictError;
      if (conflict && attempt < 5) continue;
      throw err;
    }
  }
}

export { rfc3339 };
