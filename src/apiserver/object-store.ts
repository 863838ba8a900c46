/**
 * Objects in the store: keys `/registry/<group|core>/<plural>/[<ns>/]<name>`, values
 * the object's JSON without resourceVersion (which is the key's mod revision), and store
 * errors turned into the API's: AlreadyExists, NotFound, Conflict, Gone (410 Expired).
 */
import type { ResourceDef } from '../api/types.js';
import type { Backend, KeyValue } from '../store/types.js';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from '../store/errors.js';
import { ApiError, errors } from './errors.js';

export function keyPrefix(def: ResourceDef, namespace?: string): string {
  const group = def.storedAs?.group ?? def.group;
  const base = `/registry/${group || 'core'}/${def.storedAs?.plural ?? def.plural}/`;
  return def.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${keyPrefix(def)}${namespace}/${name}` : `${keyPrefix(def)}${name}`;
}

export function decode(kv: KeyValue): any {
  const obj = JSON.parse(kv.value);
  (obj.metadata ??= {}).resourceVersion = String(kv.modRevision);
  return obj;
}

/** A stored object as `def` serves it (converted when the kind is kept in another's form). */
export function decodeFor(def: ResourceDef, kv: KeyValue): any {
  return def.storedAs ? def.storedAs.fromStored(decode(kv)) : decode(kv);
}

/** The served object in its stored form. */
function storedForm(def: ResourceDef, obj: any): any {
  return def.storedAs ? def.storedAs.toStored(obj) : obj;
}

/**
 * After a write through a kind kept in another's form, obj (which callers answer with)
 * becomes what a read would give: the stored object converted back (storage defaults
 * included, e.g. a v1 HPA without a target reads back with v2's 80% cpu).
 */
function readBack(def: ResourceDef, obj: any, storedObj: any): void {
  if (!def.storedAs) return;
  const back = def.storedAs.fromStored(storedObj);
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, back);
}

export function encode(obj: any): string {
  const rv = obj.metadata?.resourceVersion;
  if (rv === undefined) return JSON.stringify(obj);
  delete obj.metadata.resourceVersion;
  const s = JSON.stringify(obj);
  obj.metadata.resourceVersion = rv;
  return s;
}

/** Maps a store error to the API error a client sees. */
export function apiErrorOf(err: unknown, def: ResourceDef, name: string): unknown {
  if (err instanceof KeyExistsError) return errors.alreadyExists(def.group, def.plural, name);
  if (err instanceof KeyNotFoundError) return errors.notFound(def.group, def.plural, name);
  if (err instanceof RevisionConflictError) return errors.conflict(def.group, def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
  if (err instanceof CompactedError) return errors.gone(`The resourceVersion for the provided list is too old.`);
  if (err instanceof FutureRevisionError) return new ApiError(504, 'Timeout', `Too large resource version: ${err.requested}, current: ${err.current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
  return err;
}

export class ObjectStore {
  constructor(readonly backend: Backend) {}

  async get(def: ResourceDef, ns: string | undefined, name: string): Promise<any> {
    const { kv } = await this.backend.get(objectKey(def, ns, name));
    if (!kv) throw errors.notFound(def.group, def.plural, name);
    return decodeFor(def, kv);
  }

  async tryGet(def: ResourceDef, ns: string | undefined, name: string): Promise<any | undefined> {
    const { kv } = await this.backend.get(objectKey(def, ns, name));
    return kv ? decodeFor(def, kv) : undefined;
  }

  /** Every object of a kind (in one namespace, when given), read at the latest revision. */
  async list(def: ResourceDef, ns?: string): Promise<any[]> {
    const out: any[] = [];
    let startKey: string | undefined;
    for (;;) {
      const r = await this.backend.list(keyPrefix(def, ns), { startKey, limit: 500 });
      out.push(...r.kvs.map((kv) => decodeFor(def, kv)));
      if (!r.more || !r.kvs.length) return out;
      startKey = r.kvs[r.kvs.length - 1].key + '\0';
    }
  }

  async create(def: ResourceDef, obj: any): Promise<any> {
    try {
      const s = storedForm(def, obj);
      const kv = await this.backend.create(objectKey(def, obj.metadata.namespace, obj.metadata.name), encode(s));
      readBack(def, obj, s);
      obj.metadata.resourceVersion = String(kv.modRevision);
      return obj;
    } catch (err) {
      throw apiErrorOf(err, def, obj.metadata.name);
    }
  }

  async update(def: ResourceDef, obj: any, expectedRv: number): Promise<any> {
    try {
      const s = storedForm(def, obj);
      const kv = await this.backend.update(objectKey(def, obj.metadata.namespace, obj.metadata.name), encode(s), expectedRv);
      readBack(def, obj, s);
      obj.metadata.resourceVersion = String(kv.modRevision);
      return obj;
    } catch (err) {
      throw apiErrorOf(err, def, obj.metadata.name);
    }
  }

  async delete(def: ResourceDef, ns: string | undefined, name: string, expectedRv?: number): Promise<any> {
    try {
      const r = await this.backend.delete(objectKey(def, ns, name), expectedRv);
      return decodeFor(def, r.prevKv);
    } catch (err) {
      throw apiErrorOf(err, def, name);
    }
  }
}
