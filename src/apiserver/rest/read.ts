/**
 * get and list. A list reads the store at one revision: resourceVersion unset is the
 * latest (a consistent read), "0" any recent state, resourceVersionMatch=Exact that very
 * revision; limit/continue pages through the same revision (the continue token carries
 * it) and says how many items remain; label and field selectors filter.
 */
import type { ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { errors } from '../errors.js';
import { decodeFor, keyPrefix } from '../object-store.js';
import { matchLabels, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { CompactedError } from '../../store/errors.js';
import type { RequestContext } from './context.js';
import { partialMetadata, render, sendJson, toTable, withTypeMeta } from './respond.js';

export function matcherFor(def: ResourceDef, q: URLSearchParams, name?: string): (o: any) => boolean {
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fieldGetters: Record<string, (o: any) => string | undefined> = {
    'metadata.name': (o) => o.metadata?.name,
    'metadata.namespace': (o) => o.metadata?.namespace ?? '',
    ...(def.selectableFields ?? {}),
  };
  const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined, (f) => f in fieldGetters);
  if (name) fields.push({ field: 'metadata.name', value: name, negate: false });
  return (o) => {
    if (labels.length && !matchLabels(labels, o.metadata?.labels)) return false;
    for (const f of fields) {
      const v = fieldGetters[f.field](o) ?? '';
      if ((v === f.value) === f.negate) return false;
    }
    return true;
  };
}

export async function get(ctx: RequestContext): Promise<void> {
  const obj = await ctx.store.get(ctx.def, ctx.info.namespace, ctx.info.name!);
  sendJson(ctx.res, 200, render(ctx.def, obj, ctx.format), { 'Content-Type': ctx.format.contentType });
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return t;
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

export async function list(ctx: RequestContext): Promise<void> {
  const { def, query } = ctx;
  const ns = def.namespaced ? ctx.info.namespace : undefined;
  const prefix = keyPrefix(def, ns);
  const matches = matcherFor(def, query);
  const limit = Number(query.get('limit') ?? 0) || 0;
  const rv = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const cont = query.get('continue') ?? '';
  if (match && !['Exact', 'NotOlderThan'].includes(match)) throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  if (match && rv === '') throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (cont && rv && rv !== '0') throw errors.badRequest('resourceVersion: Forbidden: specifying resource version is not allowed when using continue');
  let revision: number | undefined;
  let startKey: string | undefined;
  if (cont) {
    const t = decodeContinue(cont);
    revision = t.rv;
    startKey = prefix + t.start;
  } else if (match === 'Exact') revision = Number(rv);
  const items: any[] = [];
  let more = false;
  let readAt = 0;
  let nextStart: string | undefined;
  try {
    // Selectors filter after reading: keep reading pages until the limit is met.
    for (;;) {
      const page = await ctx.store.backend.list(prefix, { revision, limit: limit ? Math.max(limit - items.length, 1) : 0, startKey });
      readAt = page.revision;
      revision ??= page.revision;
      for (const kv of page.kvs) {
        const o = decodeFor(ctx.def, kv);
        if (matches(o)) items.push(o);
      }
      more = page.more;
      if (!more) break;
      const last = page.kvs[page.kvs.length - 1].key;
      startKey = last + '\u0000';
      if (limit && items.length >= limit) {
        nextStart = startKey.slice(prefix.length);
        break;
      }
    }
  } catch (err) {
    if (err instanceof CompactedError) {
      if (cont) throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      throw errors.gone(`too old resource version: ${revision} (${err.compacted})`);
    }
    throw err;
  }
  const meta: any = { resourceVersion: String(readAt) };
  if (more && nextStart !== undefined) {
    meta.continue = encodeContinue(readAt, nextStart);
    // Exact only for the first page of an unfiltered list (upstream also omits it otherwise).
    if (!cont && !query.get('labelSelector') && !query.get('fieldSelector')) meta.remainingItemCount = Math.max(0, (await ctx.store.backend.count(prefix)).count - items.length);
  }
  let body: any;
  if (ctx.format.as === 'Table') body = toTable(def, items, ctx.format, meta);
  else if (ctx.format.as === 'PartialObjectMetadata') body = { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map(partialMetadata) };
  else body = { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: meta, items: items.map((o) => withTypeMeta(def, o)) };
  sendJson(ctx.res, 200, body, { 'Content-Type': ctx.format.contentType });
}
