/**
 * Server-side field validation against the kind's OpenAPI schema: unknown fields
 * (fieldValidation=Strict → 400 "strict decoding error", Warn → a Warning header, Ignore →
 * dropped silently; unknown fields are never stored) and JSON type mismatches (400, as a
 * decoding error).
 */
import type { Registry } from '../../api/registry.js';
import type { JSONSchema } from '../../api/types.js';

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Removes fields the schema does not declare; returns their paths (`spec.foo`, `spec.containers[0].bar`). */
export function pruneUnknown(reg: Registry, schema: JSONSchema | undefined, obj: any, path = '', top = true): string[] {
  const s = reg.resolve(schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || !isObj(obj)) return [];
  const out: string[] = [];
  if (Array.isArray(obj)) return out;
  for (const k of Object.keys(obj)) {
    if (top && (k === 'apiVersion' || k === 'kind')) continue;
    const p = path ? `${path}.${k}` : k;
    const prop = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchema) : s.additionalProperties === true ? {} : undefined);
    if (!prop) {
      out.push(p);
      delete obj[k];
      continue;
    }
    const r = reg.resolve(prop);
    const v = obj[k];
    if (Array.isArray(v)) v.forEach((item, i) => out.push(...pruneUnknown(reg, r?.items, item, `${p}[${i}]`, false)));
    else if (isObj(v)) out.push(...pruneUnknown(reg, prop, v, p, false));
  }
  return out;
}

export interface TypeError {
  path: string;
  expected: string;
  got: string;
}

const typeName = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

export function typeErrors(reg: Registry, schema: JSONSchema | undefined, obj: any, path = ''): TypeError[] {
  const s = reg.resolve(schema);
  if (!s || obj === null || obj === undefined) return [];
  const out: TypeError[] = [];
  const t = typeName(obj);
  if (s['x-kubernetes-int-or-string']) {
    if (t !== 'number' && t !== 'string') out.push({ path, expected: 'int-or-string', got: t });
    return out;
  }
  switch (s.type) {
    case 'string':
      if (t !== 'string' && !(s.format === 'quantity' && t === 'number')) out.push({ path, expected: 'string', got: t });
      break;
    case 'integer':
      if (t !== 'number' || !Number.isInteger(obj)) out.push({ path, expected: s.format ?? 'integer', got: t });
      break;
    case 'number':
      if (t !== 'number') out.push({ path, expected: 'number', got: t });
      break;
    case 'boolean':
      if (t !== 'boolean') out.push({ path, expected: 'bool', got: t });
      break;
    case 'array':
      if (t !== 'array') out.push({ path, expected: 'array', got: t });
      else (obj as any[]).forEach((x, i) => out.push(...typeErrors(reg, s.items, x, `${path}[${i}]`)));
      break;
    case 'object':
      if (t !== 'object') out.push({ path, expected: 'object', got: t });
      else
        for (const [k, v] of Object.entries(obj)) {
          const prop = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchema) : undefined);
          if (prop) out.push(...typeErrors(reg, prop, v, path ? `${path}.${k}` : k));
        }
      break;
  }
  return out;
}
