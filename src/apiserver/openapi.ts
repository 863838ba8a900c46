/**
 * OpenAPI v3 documents (/openapi/v3 and /openapi/v3/<api path>), generated from the
 * registry: component schemas of the kinds and a path per resource operation carrying
 * x-kubernetes-group-version-kind and the query parameters kubectl looks for — in
 * particular `fieldValidation` on PATCH, which is how kubectl decides the server validates
 * fields itself. /openapi/v2 is served as JSON (kubectl falls back when it cannot have
 * protobuf).
 */
import { createHash } from 'node:crypto';
import type { Registry } from '../api/registry.js';
import type { JSONSchema, ResourceDef } from '../api/types.js';

const cache = new WeakMap<Registry, { generation: number; docs: Map<string, { doc: any; hash: string }> }>();

function gvPath(def: ResourceDef): string {
  return def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
}

const q = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string' }, uniqueItems: true });
const WRITE_PARAMS = [q('dryRun', 'When present, modifications are not persisted.'), q('fieldManager', 'Name of the actor making these changes.'), q('fieldValidation', 'Ignore, Warn or Strict handling of unknown and duplicate fields.')];

function collectRefs(reg: Registry, schema: any, out: Set<string>): void {
  if (!schema || typeof schema !== 'object') return;
  if (Array.isArray(schema)) return schema.forEach((s) => collectRefs(reg, s, out));
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string') {
      const name = v.replace(/^#\/(components\/schemas|definitions)\//, '');
      if (!out.has(name)) {
        out.add(name);
        collectRefs(reg, reg.definitions.get(name), out);
      }
    } else collectRefs(reg, v, out);
  }
}

function rewriteRefs(schema: any, to: string): any {
  if (!schema || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((s) => rewriteRefs(s, to));
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\/(components\/schemas|definitions)\//, to) : rewriteRefs(v, to);
  return out;
}

function operations(def: ResourceDef): Record<string, any> {
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  const ref = { $ref: `#/components/schemas/${def.schemaName}` };
  const op = (action: string, params: any[] = [], body = false) => ({
    operationId: `${action}${def.kind}`,
    tags: [def.group || 'core'],
    parameters: params,
    ...(body ? { requestBody: { content: { '*/*': { schema: ref } }, required: true } } : {}),
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const base = `/${gvPath(def)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
  const paths: Record<string, any> = {
    [base]: { get: op('list'), post: op('post', WRITE_PARAMS, true), delete: op('deletecollection') },
    [`${base}/{name}`]: { get: op('get'), put: op('put', WRITE_PARAMS, true), patch: op('patch', [...WRITE_PARAMS, q('force', 'Force is going to "force" Apply requests.')], true), delete: op('delete', [q('dryRun', 'When present, modifications are not persisted.')]) },
  };
  if (def.subresources?.status) paths[`${base}/{name}/status`] = { get: op('get'), put: op('put', WRITE_PARAMS, true), patch: op('patch', WRITE_PARAMS, true) };
  return paths;
}

export function openapiV3Doc(reg: Registry, path: string): { doc: any; hash: string } | undefined {
  // Documents change when CRDs add or remove kinds (the registry's generation).
  let entry0 = cache.get(reg);
  if (!entry0 || entry0.generation !== reg.generation) cache.set(reg, (entry0 = { generation: reg.generation, docs: new Map() }));
  const c = entry0.docs;
  const hit = c.get(path);
  if (hit) return hit;
  const defs = reg.all().filter((d) => gvPath(d) === path);
  if (!defs.length) return undefined;
  const names = new Set<string>();
  for (const d of defs) {
    names.add(d.schemaName);
    collectRefs(reg, reg.definitions.get(d.schemaName), names);
  }
  const schemas: Record<string, JSONSchema> = {};
  for (const n of [...names].sort()) {
    const s = reg.definitions.get(n);
    if (s) schemas[n] = rewriteRefs(s, '#/components/schemas/');
  }
  const paths: Record<string, any> = {};
  for (const d of defs) Object.assign(paths, operations(d));
  const doc = { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
  const entry = { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase() };
  c.set(path, entry);
  return entry;
}

export function openapiV3Index(reg: Registry): any {
  const paths: Record<string, any> = {};
  const gvs = new Set(reg.all().map(gvPath));
  for (const p of [...gvs].sort()) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${openapiV3Doc(reg, p)!.hash}` };
  return { paths };
}

export function openapiV2(reg: Registry): any {
  const definitions: Record<string, JSONSchema> = {};
  for (const [n, s] of reg.definitions) definitions[n] = rewriteRefs(s, '#/definitions/');
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions };
}

/** gnostic's openapi_v2.Document holding only `swagger: "2.0"` (field 1), protobuf-encoded. */
export function openapiV2Protobuf(): Buffer {
  const v = Buffer.from('2.0');
  return Buffer.concat([Buffer.from([0x0a, v.length]), v]);
}
