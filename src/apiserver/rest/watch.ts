/**
 * Watch (`?watch=true`): a chunked stream of `{"type":..., "object":...}` lines. Start
 * from resourceVersion: unset or "0" first sends an ADDED per existing object, a number
 * sends what changed after it (410 Expired as an ERROR event when that history is
 * compacted). sendInitialEvents=true with resourceVersionMatch=NotOlderThan sends the
 * initial ADDEDs then a BOOKMARK annotated k8s.io/initial-events-end. Selectors filter
 * events; an object that stops (starts) matching arrives as DELETED (ADDED). Bookmarks
 * carry progress when asked for; Tables are sent when kubectl asks (`get -w`).
 */
import type { ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import type { WatchEvent } from '../../store/types.js';
import { CompactedError } from '../../store/errors.js';
import { errors } from '../errors.js';
import { decode, decodeFor, keyPrefix } from '../object-store.js';
import type { RequestContext } from './context.js';
import { partialMetadata, toTable, withTypeMeta } from './respond.js';
import { matcherFor } from './read.js';

/**
 * One decode per stored event, shared by every watch that delivers it (the store hands
 * the same event object to each watcher); objects from the cache are never mutated.
 */
const decoded = new WeakMap<object, Map<ResourceDef, any>>();
const lines = new WeakMap<object, Map<string, string>>();
function decodeShared(def: ResourceDef, kv: import('../../store/types.js').KeyValue): any {
  let byDef = decoded.get(kv);
  if (!byDef) decoded.set(kv, (byDef = new Map()));
  let o = byDef.get(def);
  if (!o) byDef.set(def, (o = decodeFor(def, kv)));
  return o;
}

export class WatchRegistry {
  private readonly open = new Map<() => void, ResourceDef | undefined>();
  add(stop: () => void, def?: ResourceDef): () => void {
    this.open.set(stop, def);
    return () => this.open.delete(stop);
  }
  /** Ends the watches on kinds no longer served (a deleted CRD's), as upstream tears down their storage. */
  closeFor(defs: ResourceDef[]): void {
    const same = (a: ResourceDef, b: ResourceDef) => a.group === b.group && a.version === b.version && a.plural === b.plural;
    for (const [s, d] of [...this.open]) if (d && defs.some((x) => same(x, d))) s();
  }
  closeAll(): void {
    for (const s of [...this.open.keys()]) s();
    this.open.clear();
  }
}

const BOOKMARK_EVERY_MS = 60_000;

export async function watch(ctx: RequestContext): Promise<void> {
  const { def, query, res, store, format } = ctx;
  const ns = def.namespaced ? ctx.info.namespace : undefined;
  const matches = matcherFor(def, query, ctx.info.name);
  const rv = query.get('resourceVersion') ?? '';
  const sendInitial = query.get('sendInitialEvents') === 'true';
  if (query.get('sendInitialEvents') !== null && query.get('resourceVersionMatch') !== 'NotOlderThan') throw errors.badRequest('resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const timeoutSec = Number(query.get('timeoutSeconds') ?? 1800 + Math.floor(Math.random() * 1800));
  const prefix = keyPrefix(def, ns);
  let start: number;
  let initial: any[] = [];
  if (rv === '' || rv === '0' || sendInitial) {
    const list = await store.backend.list(prefix);
    start = list.revision;
    if (!(rv !== '' && rv !== '0' && !sendInitial)) initial = list.kvs.map((kv) => decodeFor(def, kv)).filter(matches);
    if (rv !== '' && rv !== '0' && sendInitial && Number(rv) > start) start = Number(rv);
  } else {
    start = Number(rv);
    if (!Number.isInteger(start) || start < 0) throw errors.badRequest(`invalid resource version: ${rv}`);
  }

  const ac = new AbortController();
  const table = format.as === 'Table';
  let first = true;
  const kindOf = { apiVersion: apiVersionOf(def), kind: def.kind };
  const out = (type: string, obj: any) => {
    let object: any;
    if (type === 'BOOKMARK') object = { ...kindOf, metadata: obj.metadata };
    else if (table) {
      object = toTable(def, [obj], format, { resourceVersion: obj.metadata.resourceVersion }, first);
      first = false;
    } else if (format.as === 'PartialObjectMetadata') object = partialMetadata(obj);
    else {
      // Plain JSON events are the same bytes for every watcher: serialize once.
      let byType = lines.get(obj);
      if (!byType) lines.set(obj, (byType = new Map()));
      let line = byType.get(type);
      if (!line) byType.set(type, (line = JSON.stringify({ type, object: withTypeMeta(def, obj) }) + '\n'));
      res.write(line);
      return;
    }
    res.write(JSON.stringify({ type, object }) + '\n');
  };
  let lastRv = start;
  const stop = () => {
    if (ac.signal.aborted) return;
    ac.abort();
    clearTimeout(timer);
    clearInterval(bm);
    unregister();
    res.end();
  };
  const unregister = ctx.watches.add(stop, def);
  ctx.req.on('close', stop);
  res.on('error', stop);
  const timer = setTimeout(stop, timeoutSec * 1000);
  const bm = setInterval(() => {
    if (bookmarks) out('BOOKMARK', { metadata: { resourceVersion: String(lastRv) } });
  }, BOOKMARK_EVERY_MS);
  res.writeHead(200, { 'Content-Type': format.contentType, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  try {
    await store.backend.watch(
      prefix,
      {
        afterRevision: start,
        signal: ac.signal,
        onProgress: (r) => {
          if (r > lastRv) lastRv = r;
        },
      },
      (events) => deliver(events),
      (err) => {
        out('ERROR', errors.gone(err.message).toStatus());
        stop();
      },
    );
  } catch (err) {
    if (err instanceof CompactedError) {
      res.write(JSON.stringify({ type: 'ERROR', object: errors.gone(`too old resource version: ${start} (${err.compacted})`).toStatus() }) + '\n');
      stop();
      return;
    }
    stop();
    throw err;
  }
  for (const o of initial) out('ADDED', o);
  if (sendInitial && bookmarks) out('BOOKMARK', { metadata: { resourceVersion: String(start), annotations: { 'k8s.io/initial-events-end': 'true' } } });

  function deliver(events: WatchEvent[]): void {
    if (ac.signal.aborted) return;
    for (const e of events) {
      lastRv = e.revision;
      const cur = e.type === 'delete' ? undefined : decodeShared(def, e.kv);
      const prev = e.prevKv ? decodeShared(def, e.prevKv) : undefined;
      const now = cur && matches(cur);
      const before = prev && matches(prev);
      if (e.type === 'delete') {
        if (before) out('DELETED', { ...prev, metadata: { ...prev.metadata, resourceVersion: String(e.revision) } });
      } else if (now && (e.type === 'create' || !before)) out('ADDED', cur);
      else if (now) out('MODIFIED', cur);
      else if (before) out('DELETED', { ...cur, metadata: { ...cur.metadata } });
    }
  }
}

export type { ResourceDef };
