/**
 * Field ownership (metadata.managedFields, FieldsV1) and server-side apply. A field set
 * is a set of paths whose segments are FieldsV1 keys: `f:<field>`, `k:{"name":"x"}` for a
 * list-map item, `v:<json>` for a set member, `.` for an item itself. Lists are maps,
 * sets or atomic per the schema's x-kubernetes-list-type (Kubernetes' well-known merge
 * keys where no schema says); an atomic list is owned as one leaf.
 */
import type { Registry } from '../../api/registry.js';
import type { JSONSchema } from '../../api/types.js';
import { ApiError } from '../errors.js';

const WELL_KNOWN_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  hostAliases: ['ip'],
  readinessGates: ['conditionType'],
};
const SETS = new Set(['finalizers']);
const IGNORED_META = new Set(['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']);

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

interface ListShape {
  type: 'map' | 'set' | 'atomic';
  keys?: string[];
  item?: JSONSchema;
}

function listShape(reg: Registry | undefined, field: string, schema: JSONSchema | undefined, value: any[]): ListShape {
  const s = schema ? (reg?.resolve(schema) ?? schema) : undefined;
  const t = schema?.['x-kubernetes-list-type'] ?? s?.['x-kubernetes-list-type'];
  const item = s?.items ? reg?.resolve(s.items) : undefined;
  if (t === 'map') return { type: 'map', keys: schema?.['x-kubernetes-list-map-keys'] ?? s?.['x-kubernetes-list-map-keys'] ?? ['name'], item };
  if (t === 'set') return { type: 'set', item };
  if (t === 'atomic') return { type: 'atomic' };
  if (field === 'ports') return { type: 'map', keys: value.some((x) => isObj(x) && 'containerPort' in x) ? ['containerPort', 'protocol'] : ['port', 'protocol'] };
  if (WELL_KNOWN_KEYS[field]) return { type: 'map', keys: WELL_KNOWN_KEYS[field], item };
  if (SETS.has(field)) return { type: 'set' };
  return { type: 'atomic' };
}

function itemKey(item: any, keys: string[]): string {
  const k: Record<string, unknown> = {};
  for (const key of keys) if (item?.[key] !== undefined) k[key] = item[key];
  return `k:${JSON.stringify(k)}`;
}

function propSchema(reg: Registry | undefined, schema: JSONSchema | undefined, field: string): JSONSchema | undefined {
  const s = schema ? (reg?.resolve(schema) ?? schema) : undefined;
  const p = s?.properties?.[field] ?? (isObj(s?.additionalProperties) ? (s!.additionalProperties as JSONSchema) : undefined);
  return p;
}

/** Paths of every leaf field set in obj (the field set an applier or writer is responsible for). */
export function fieldSet(reg: Registry | undefined, schema: JSONSchema | undefined, obj: any, prefix: string[] = [], out = new Set<string>()): Set<string> {
  if (!isObj(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (prefix.length === 0 && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
    if (prefix.length === 1 && prefix[0] === 'f:metadata' && (IGNORED_META.has(k) || k === 'name' || k === 'namespace')) continue;
    if (v === undefined) continue;
    const path = [...prefix, `f:${k}`];
    const ps = propSchema(reg, schema, k);
    if (Array.isArray(v)) {
      const shape = listShape(reg, k, ps, v);
      if (shape.type === 'atomic' || !v.length) {
        out.add(path.join('\u0000'));
        continue;
      }
      for (const item of v) {
        if (shape.type === 'set' || !isObj(item)) out.add([...path, `v:${JSON.stringify(item)}`].join('\u0000'));
        else {
          const ip = [...path, itemKey(item, shape.keys!)];
          out.add([...ip, '.'].join('\u0000'));
          fieldSet(reg, shape.item, item, ip, out);
        }
      }
    } else if (isObj(v) && Object.keys(v).length && ps?.['x-kubernetes-map-type'] !== 'atomic') {
      fieldSet(reg, ps, v, path, out);
    } else out.add(path.join('\u0000'));
  }
  return out;
}

/** FieldsV1 JSON from a set of paths. */
export function toFieldsV1(set: Set<string>): any {
  const root: any = {};
  for (const p of set) {
    let cur = root;
    for (const seg of p.split('\u0000')) cur = cur[seg] ??= {};
  }
  return root;
}

export function fromFieldsV1(f: any, prefix: string[] = [], out = new Set<string>()): Set<string> {
  if (!isObj(f)) return out;
  const keys = Object.keys(f);
  if (!keys.length && prefix.length) out.add(prefix.join('\u0000'));
  for (const k of keys) fromFieldsV1(f[k], [...prefix, k], out);
  return out;
}

/** `.spec.template.spec.containers[name="nginx"].image`, as conflict messages print paths. */
export function printPath(p: string): string {
  return p
    .split('\u0000')
    .filter((s) => s !== '.')
    .map((s) => {
      if (s.startsWith('f:')) return `.${s.slice(2)}`;
      if (s.startsWith('k:')) {
        const k = JSON.parse(s.slice(2));
        return `[${Object.entries(k).map(([a, b]) => `${a}=${JSON.stringify(b)}`).join(',')}]`;
      }
      return `[${s.slice(2)}]`;
    })
    .join('');
}

/** The value at a field-set path in obj (undefined if absent). */
function valueAt(obj: any, p: string): any {
  let cur = obj;
  for (const seg of p.split('\u0000')) {
    if (cur === undefined) return undefined;
    if (seg === '.') continue;
    if (seg.startsWith('f:')) cur = isObj(cur) ? cur[seg.slice(2)] : undefined;
    else if (seg.startsWith('k:')) {
      const k = JSON.parse(seg.slice(2));
      cur = Array.isArray(cur) ? cur.find((x) => isObj(x) && Object.entries(k).every(([a, b]) => x[a] === b)) : undefined;
    } else if (seg.startsWith('v:')) {
      const v = seg.slice(2);
      cur = Array.isArray(cur) && cur.some((x) => JSON.stringify(x) === v) ? true : undefined;
    }
  }
  return cur;
}

const now3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

function entries(obj: any): any[] {
  return [...(obj?.metadata?.managedFields ?? [])];
}

function setEntries(obj: any, list: any[]): void {
  const kept = list.filter((e) => e.fieldsV1 && Object.keys(e.fieldsV1).length);
  if (kept.length) obj.metadata.managedFields = kept;
  else delete obj.metadata.managedFields;
}

export interface RecordOptions {
  registry: Registry;
  schemaName: string;
  old: Record<string, any> | undefined;
  updated: Record<string, any>;
  manager: string;
  apiVersion: string;
  now: Date;
  subresource?: string;
}

/** Non-apply writes: the manager (operation Update) takes the fields it set or changed. */
export function recordManagedFields(o: RecordOptions): void {
  // Ownership is tracked for spec and metadata; a status write changes neither.
  if (o.subresource === 'status') return;
  const schema = o.registry.definitions.get(o.schemaName);
  const newSet = fieldSet(o.registry, schema, o.updated);
  const oldSet = o.old ? fieldSet(o.registry, schema, o.old) : new Set<string>();
  const changed = new Set<string>();
  for (const p of newSet) if (!oldSet.has(p) || JSON.stringify(valueAt(o.old, p)) !== JSON.stringify(valueAt(o.updated, p))) changed.add(p);
  const list = entries(o.old ?? o.updated).map((e) => {
    const s = fromFieldsV1(e.fieldsV1);
    // Fields no longer in the object belong to nobody; changed ones move to this manager.
    for (const p of [...s]) if (!newSet.has(p) || (changed.has(p) && !(e.manager === o.manager && e.operation === 'Update'))) s.delete(p);
    return { ...e, fieldsV1: toFieldsV1(s) };
  });
  if (changed.size) {
    const i = list.findIndex((e) => e.manager === o.manager && e.operation === 'Update' && (e.subresource ?? '') === (o.subresource ?? ''));
    const mine = i >= 0 ? fromFieldsV1(list[i].fieldsV1) : new Set<string>();
    for (const p of changed) mine.add(p);
    const entry: any = { manager: o.manager, operation: 'Update', apiVersion: o.apiVersion, time: now3339(o.now), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine) };
    if (o.subresource) entry.subresource = o.subresource;
    if (i >= 0) list[i] = entry;
    else list.push(entry);
  }
  o.updated.metadata ??= {};
  setEntries(o.updated, list);
}

export interface ApplyOptions {
  registry: Registry;
  schemaName: string;
  live: Record<string, any> | undefined;
  applied: Record<string, any>;
  manager: string;
  force: boolean;
  apiVersion: string;
  now: Date;
}

function mergeApplied(reg: Registry, schema: JSONSchema | undefined, live: any, applied: any): any {
  if (!isObj(applied)) return structuredClone(applied);
  const out: any = isObj(live) ? { ...live } : {};
  for (const [k, v] of Object.entries(applied)) {
    const ps = propSchema(reg, schema, k);
    if (Array.isArray(v)) {
      const shape = listShape(reg, k, ps, v);
      if (shape.type === 'map' && Array.isArray(out[k])) {
        const merged = [...out[k]];
        for (const item of v) {
          const key = itemKey(item, shape.keys!);
          const i = merged.findIndex((x) => isObj(x) && itemKey(x, shape.keys!) === key);
          if (i >= 0) merged[i] = mergeApplied(reg, shape.item, merged[i], item);
          else merged.push(structuredClone(item));
        }
        out[k] = merged;
      } else if (shape.type === 'set' && Array.isArray(out[k])) {
        out[k] = [...out[k], ...v.filter((x) => !out[k].some((y: unknown) => JSON.stringify(y) === JSON.stringify(x)))];
      } else out[k] = structuredClone(v);
    } else if (isObj(v) && ps?.['x-kubernetes-map-type'] !== 'atomic') out[k] = mergeApplied(reg, ps, out[k], v);
    else out[k] = structuredClone(v);
  }
  return out;
}

/** Removes the field at path p from obj (a list item by key, a set member by value). */
function removeAt(obj: any, p: string): void {
  const segs = p.split('\u0000').filter((s) => s !== '.');
  let cur = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg.startsWith('f:')) {
      if (!isObj(cur)) return;
      if (last) delete cur[seg.slice(2)];
      else cur = cur[seg.slice(2)];
    } else if (Array.isArray(cur)) {
      const match = seg.startsWith('k:')
        ? (x: any) => isObj(x) && Object.entries(JSON.parse(seg.slice(2))).every(([a, b]) => x[a] === b)
        : (x: any) => JSON.stringify(x) === seg.slice(2);
      const idx = cur.findIndex(match);
      if (idx < 0) return;
      if (last) cur.splice(idx, 1);
      else cur = cur[idx];
    } else return;
  }
}

/** Server-side apply: merge the applied configuration, own its fields, drop fields the manager stopped applying. */
export function serverSideApply(o: ApplyOptions): Record<string, any> {
  const reg = o.registry;
  const schema = reg.definitions.get(o.schemaName);
  if (o.applied?.metadata?.managedFields !== undefined) throw new ApiError(400, 'BadRequest', 'metadata.managedFields must be nil');
  const appliedSet = fieldSet(reg, schema, o.applied);
  const live = o.live ? structuredClone(o.live) : undefined;
  const list = entries(live);
  const mineIdx = list.findIndex((e) => e.manager === o.manager && e.operation === 'Apply');
  const previously = mineIdx >= 0 ? fromFieldsV1(list[mineIdx].fieldsV1) : new Set<string>();
  // Conflicts: fields another manager owns whose value this apply would change.
  const conflicts: { manager: string; apiVersion: string; path: string }[] = [];
  for (const e of list) {
    if (e.manager === o.manager && e.operation === 'Apply') continue;
    const owned = fromFieldsV1(e.fieldsV1);
    for (const p of appliedSet) {
      if (!owned.has(p) || p.endsWith('\u0000.')) continue;
      if (JSON.stringify(valueAt(live, p)) !== JSON.stringify(valueAt(o.applied, p))) conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: p });
    }
  }
  if (conflicts.length && !o.force) {
    const lines = conflicts.map((c) => `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}: ${printPath(c.path)}`);
    const msg = conflicts.length === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
    throw new ApiError(409, 'Conflict', msg, {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`, field: printPath(c.path) })),
    });
  }
  let result = mergeApplied(reg, schema, live ?? {}, o.applied);
  // Others' ownership of the fields now applied: shared if equal, taken over on force.
  const others = list
    .filter((e) => !(e.manager === o.manager && e.operation === 'Apply'))
    .map((e) => {
      const s = fromFieldsV1(e.fieldsV1);
      if (o.force) for (const c of conflicts) if (c.manager === e.manager) s.delete(c.path);
      return { ...e, fieldsV1: toFieldsV1(s) };
    });
  const ownedByOthers = new Set<string>();
  for (const e of others) for (const p of fromFieldsV1(e.fieldsV1)) ownedByOthers.add(p);
  for (const p of previously) if (!appliedSet.has(p) && !ownedByOthers.has(p)) removeAt(result, p);
  result.metadata ??= {};
  const mine = { manager: o.manager, operation: 'Apply', apiVersion: o.apiVersion, time: now3339(o.now), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(appliedSet) };
  const next = mineIdx >= 0 ? others.slice(0, mineIdx).concat([mine], others.slice(mineIdx)) : [...others, mine];
  setEntries(result, next);
  return result;
}
