/**
 * delete and deletecollection with DeleteOptions (body or query): preconditions,
 * dryRun, propagationPolicy (Foreground adds the foregroundDeletion finalizer, Orphan the
 * orphan finalizer; the garbage collector does the rest), finalizers (the object stays,
 * with deletionTimestamp, until they are removed), graceful pod deletion (a pod on a node
 * gets deletionTimestamp = now + grace and is removed by its kubelet), and namespaces
 * (Terminating until the namespace controller has emptied them).
 */
import { readRaw, mediaType, parseBody } from '../body.js';
import { errors } from '../errors.js';
import { keyPrefix, decodeFor } from '../object-store.js';
import { isDryRun, rfc3339, type RequestContext } from './context.js';
import { render, sendJson } from './respond.js';
import { matcherFor } from './read.js';
import { releaseServiceAllocation } from './service-allocation-hooks.js';

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

async function readOptions(ctx: RequestContext): Promise<DeleteOptions> {
  let o: DeleteOptions = {};
  const body = ctx.req.method === 'DELETE' ? await readRaw(ctx.req) : Buffer.alloc(0);
  if (body.length && body.toString('utf8').trim()) o = parseBody(body, mediaType(ctx.req)) as DeleteOptions;
  const q = ctx.query;
  if (q.get('gracePeriodSeconds') !== null) o.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.get('propagationPolicy')) o.propagationPolicy = q.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
  if (q.get('orphanDependents') !== null) o.orphanDependents = q.get('orphanDependents') === 'true';
  if (o.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    throw errors.invalid('', 'DeleteOptions', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', value: o.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' }]);
  }
  if (o.orphanDependents !== undefined && !o.propagationPolicy) o.propagationPolicy = o.orphanDependents ? 'Orphan' : 'Background';
  return o;
}

/** Deletes one object per the options; returns what to answer (the object, or a Success status). */
export async function deleteOne(ctx: RequestContext, name: string, o: DeleteOptions): Promise<{ code: number; body: any }> {
  const { def } = ctx;
  const ns = def.namespaced ? ctx.info.namespace : undefined;
  const dry = isDryRun(ctx.query);
  for (let attempt = 0; ; attempt++) {
    const cur = await ctx.store.get(def, ns, name);
    if (o.preconditions?.uid && o.preconditions.uid !== cur.metadata.uid) throw errors.conflict(def.group, def.plural, name, `Precondition failed: UID in precondition: ${o.preconditions.uid}, UID in object meta: ${cur.metadata.uid}`);
    if (o.preconditions?.resourceVersion && o.preconditions.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(def.group, def.plural, name, `Precondition failed: ResourceVersion in precondition: ${o.preconditions.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    const next = structuredClone(cur);
    const m = next.metadata;
    const fins: string[] = [...(m.finalizers ?? [])];
    if (o.propagationPolicy === 'Foreground' && !fins.includes('foregroundDeletion')) fins.push('foregroundDeletion');
    if (o.propagationPolicy === 'Orphan' && !fins.includes('orphan')) fins.push('orphan');
    if (o.propagationPolicy === 'Background') {
      for (const f of ['foregroundDeletion', 'orphan']) if (fins.includes(f) && !(cur.metadata.finalizers ?? []).includes(f)) fins.splice(fins.indexOf(f), 1);
    }
    const now = ctx.now();
    let keep = false;
    if (def.plural === 'pods' && cur.spec?.nodeName && !['Succeeded', 'Failed'].includes(cur.status?.phase)) {
      // Graceful pod deletion: the kubelet stops the containers, then deletes with grace 0.
      const grace = o.gracePeriodSeconds ?? cur.metadata.deletionGracePeriodSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30;
      if (grace > 0 && (m.deletionGracePeriodSeconds === undefined || grace < m.deletionGracePeriodSeconds)) {
        m.deletionGracePeriodSeconds = grace;
        m.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        keep = true;
      } else if (grace > 0) keep = true;
      else m.deletionGracePeriodSeconds = 0;
    }
    if (def.plural === 'namespaces' && (cur.spec?.finalizers ?? []).length) {
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      keep = true;
    }
    if (fins.length) {
      keep = true;
      m.finalizers = fins;
    }
    if (keep) {
      m.deletionTimestamp ??= rfc3339(now);
      m.deletionGracePeriodSeconds ??= 0;
      if (dry) return { code: 200, body: render(def, next, ctx.format) };
      if (JSON.stringify(next) === JSON.stringify(cur)) return { code: 200, body: render(def, cur, ctx.format) };
      try {
        const saved = await ctx.store.update(def, next, Number(cur.metadata.resourceVersion));
        return { code: def.plural === 'pods' ? 200 : 202, body: render(def, saved, ctx.format) };
      } catch (err) {
        if ((err as any)?.reason === 'Conflict' && attempt < 5) continue;
        throw err;
      }
    }
    if (!dry) {
      try {
        await ctx.store.delete(def, ns, name, Number(cur.metadata.resourceVersion));
        await releaseServiceAllocation(ctx, cur);
      } catch (err) {
        if ((err as any)?.reason === 'Conflict' && attempt < 5) continue;
        throw err;
      }
    }
    if (def.plural === 'pods') return { code: 200, body: render(def, cur, ctx.format) };
    return {
      code: 200,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: def.group || undefined, kind: def.plural, uid: cur.metadata.uid } },
    };
  }
}

export async function del(ctx: RequestContext): Promise<void> {
  const o = await readOptions(ctx);
  const r = await deleteOne(ctx, ctx.info.name!, o);
  sendJson(ctx.res, r.code, r.body, { 'Content-Type': r.body.kind === 'Status' ? 'application/json' : ctx.format.contentType });
}

export async function deleteCollection(ctx: RequestContext): Promise<void> {
  const o = await readOptions(ctx);
  const ns = ctx.def.namespaced ? ctx.info.namespace : undefined;
  const matches = matcherFor(ctx.def, ctx.query);
  const list = await ctx.store.backend.list(keyPrefix(ctx.def, ns));
  const objs = list.kvs.map((kv) => decodeFor(ctx.def, kv)).filter(matches);
  const deleted: any[] = [];
  for (const obj of objs) {
    try {
      await deleteOne({ ...ctx, info: { ...ctx.info, namespace: obj.metadata.namespace } }, obj.metadata.name, o);
      deleted.push(obj);
    } catch (err) {
      if ((err as any)?.code !== 404) throw err;
    }
  }
  sendJson(ctx.res, 200, { kind: ctx.def.listKind, apiVersion: ctx.def.group ? `${ctx.def.group}/${ctx.def.version}` : ctx.def.version, metadata: { resourceVersion: String(list.revision) }, items: deleted });
}
