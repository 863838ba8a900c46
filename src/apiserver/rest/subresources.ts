/**
 * Subresources: scale (autoscaling/v1 Scale over spec.replicas, what `kubectl scale`
 * uses, with resourceVersion as the --current-replicas precondition), pods/binding (the
 * scheduler's bind: sets spec.nodeName once), namespaces/finalize (the namespace
 * controller removes spec.finalizers; the namespace goes once they are empty).
 * pods/eviction, which consults PodDisruptionBudgets, is in eviction.ts.
 */
import { selectorToString } from '../../client/selector.js';
import { mediaType, readRaw, parseBody } from '../body.js';
import { ApiError, errors } from '../errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, recordManagedFields } from '../patch/index.js';
import { isDryRun, fieldManager, rfc3339, type RequestContext } from './context.js';
import { sendJson } from './respond.js';
import { apiVersionOf } from '../../api/types.js';

/** A value at a simple JSONPath (`.spec.replicas`) of an object. */
function at(obj: any, path: string | undefined): any {
  if (!path) return undefined;
  return path.replace(/^\./, '').split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function setAt(obj: any, path: string, value: unknown): void {
  const keys = path.replace(/^\./, '').split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] && typeof o[k] === 'object' ? o[k] : (o[k] = {});
  o[keys[keys.length - 1]] = value;
}

/** Custom resources map Scale onto the paths their CRD declares (labelSelectorPath holds a string selector). */
function customScaleOf(def: RequestContext['def'], obj: any): any {
  const s = def.subresources!.scale!;
  const sel = at(obj, s.labelSelectorPath);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: at(obj, s.specReplicasPath) ?? 0 },
    status: { replicas: at(obj, s.statusReplicasPath) ?? 0, ...(typeof sel === 'string' ? { selector: sel } : {}) },
  };
}

function scaleOf(obj: any, def?: RequestContext['def']): any {
  if (def?.custom) return customScaleOf(def, obj);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: obj.spec?.selector ? selectorToString(obj.spec.selector) : '' },
  };
}

export async function scale(ctx: RequestContext): Promise<void> {
  const { def } = ctx;
  if (!def.subresources?.scale) throw errors.notFound(def.group, `${def.plural}/scale`, ctx.info.name!);
  const method = ctx.req.method;
  for (let attempt = 0; ; attempt++) {
    const cur = await ctx.store.get(def, ctx.info.namespace, ctx.info.name!);
    if (method === 'GET') return sendJson(ctx.res, 200, scaleOf(cur, def));
    let want: any;
    const text = attempt === 0 ? await readRaw(ctx.req) : (ctx as any)._scaleBody;
    (ctx as any)._scaleBody = text;
    if (method === 'PUT') want = parseBody(text, mediaType(ctx.req));
    else {
      const type = mediaType(ctx.req);
      const p = parseBody(text, 'application/json');
      const base = scaleOf(cur, def);
      want = type === 'application/json-patch+json' ? applyJsonPatch(base, p) : type === 'application/merge-patch+json' ? applyMergePatch(base, p) : applyStrategicMergePatch(undefined, '', base, p);
    }
    const rv = want?.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(def.group, def.plural, cur.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
    const replicas = want?.spec?.replicas;
    if (typeof replicas !== 'number' || replicas < 0 || !Number.isInteger(replicas)) {
      throw errors.invalid('autoscaling', 'Scale', cur.metadata.name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' }]);
    }
    const specPath = def.custom ? def.subresources.scale.specReplicasPath : '.spec.replicas';
    if (replicas === at(cur, specPath)) return sendJson(ctx.res, 200, scaleOf(cur, def));
    const next = structuredClone(cur);
    setAt(next, specPath, replicas);
    // A custom object scaled must still satisfy its schema (e.g. a maximum on replicas).
    const bad = def.custom ? (def.validate?.(next, { old: cur, operation: 'update' }) ?? []) : [];
    if (bad.length) throw errors.invalid(def.group, def.kind, cur.metadata.name, bad);
    if (def.generation) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    recordManagedFields({ registry: ctx.registry, schemaName: def.schemaName, old: cur, updated: next, manager: fieldManager(ctx), apiVersion: apiVersionOf(def), now: ctx.now(), subresource: 'scale' });
    if (isDryRun(ctx.query)) return sendJson(ctx.res, 200, scaleOf(next, def));
    try {
      const saved = await ctx.store.update(def, next, Number(cur.metadata.resourceVersion));
      return sendJson(ctx.res, 200, scaleOf(saved, def));
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'Conflict' && !rv && attempt < 5) continue;
      throw err;
    }
  }
}

export async function binding(ctx: RequestContext): Promise<void> {
  const b = parseBody(await readRaw(ctx.req), mediaType(ctx.req)) as any;
  const target = b?.target?.name;
  if (!target) throw errors.invalid('', 'Binding', ctx.info.name!, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  for (let attempt = 0; ; attempt++) {
    const pod = await ctx.store.get(ctx.def, ctx.info.namespace, ctx.info.name!);
    if (b.metadata?.uid && b.metadata.uid !== pod.metadata.uid) throw errors.conflict('', 'pods', pod.metadata.name, `Precondition failed: UID in precondition: ${b.metadata.uid}, UID in object meta: ${pod.metadata.uid}`);
    if (pod.metadata.deletionTimestamp) throw errors.conflict('', 'pods', pod.metadata.name, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw errors.conflict('', 'pods', pod.metadata.name, `pod ${pod.metadata.name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec.nodeName = target;
    const conds = (pod.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
    pod.status = { ...(pod.status ?? {}), conditions: [...conds, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now()) }] };
    try {
      await ctx.store.update(ctx.def, pod, Number(pod.metadata.resourceVersion));
      return sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'Conflict' && attempt < 5) continue;
      throw err;
    }
  }
}

export async function finalize(ctx: RequestContext): Promise<void> {
  const body = parseBody(await readRaw(ctx.req), mediaType(ctx.req)) as any;
  const cur = await ctx.store.get(ctx.def, undefined, ctx.info.name!);
  const next = structuredClone(cur);
  next.spec = { ...(next.spec ?? {}), finalizers: body?.spec?.finalizers ?? [] };
  if (cur.metadata.deletionTimestamp && !next.spec.finalizers.length && !(next.metadata.finalizers ?? []).length) {
    await ctx.store.delete(ctx.def, undefined, cur.metadata.name, Number(cur.metadata.resourceVersion));
    return sendJson(ctx.res, 200, next);
  }
  const saved = await ctx.store.update(ctx.def, next, Number(cur.metadata.resourceVersion));
  sendJson(ctx.res, 200, saved);
}
