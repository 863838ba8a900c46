/**
 * The structural OpenAPI v3 schemas of CustomResourceDefinitions: whether a schema is
 * structural (checked when a CRD is written), and, for custom objects, defaulting
 * (`default`) and validation with the messages kube-apiserver's schema validator prints
 * (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type
 * integer: "string"`). Pruning of unknown fields is the generic one in
 * apiserver/rest/fields.ts, which honours x-kubernetes-preserve-unknown-fields.
 */
import type { FieldError } from './types.js';

/** An openAPIV3Schema node as a CRD declares it (JSONSchemaProps). */
export interface CrdSchema {
  type?: string;
  format?: string;
  description?: string;
  nullable?: boolean;
  properties?: Record<string, CrdSchema>;
  additionalProperties?: CrdSchema | boolean;
  items?: CrdSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: CrdSchema[];
  anyOf?: CrdSchema[];
  oneOf?: CrdSchema[];
  not?: CrdSchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [k: string]: unknown;
}

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

// ---------------------------------------------------------------- structural check

/**
 * Errors that make a schema non-structural (upstream's structuralschema validation):
 * a type at the root (object) and on every specified property, item and
 * additionalProperties schema, unless x-kubernetes-int-or-string or
 * x-kubernetes-preserve-unknown-fields stands in for it. Paths as upstream prints them:
 * `<base>.properties[spec].type`.
 */
export function structuralErrors(schema: unknown, base: string): FieldError[] {
  const out: FieldError[] = [];
  if (!isObj(schema)) return [{ type: 'FieldValueRequired', field: base, detail: 'schemas are required' }];
  if (!schema.type) out.push({ type: 'FieldValueRequired', field: `${base}.type`, detail: 'must not be empty at the root' });
  else if (schema.type !== 'object') out.push({ type: 'FieldValueInvalid', field: `${base}.type`, value: schema.type, detail: 'must be object at the root' });
  walk(schema as CrdSchema, base, out, true);
  return out;
}

function walk(s: CrdSchema, path: string, out: FieldError[], root = false): void {
  if (s.type !== undefined && !TYPES.includes(String(s.type))) {
    out.push({ type: 'FieldValueNotSupported', field: `${path}.type`, value: s.type, detail: `supported values: ${TYPES.map((t) => JSON.stringify(t)).join(', ')}` });
  }
  const typed = (c: CrdSchema) => !!c.type || !!c['x-kubernetes-int-or-string'] || !!c['x-kubernetes-preserve-unknown-fields'];
  if (s.properties && isObj(s.additionalProperties)) out.push({ type: 'FieldValueForbidden', field: `${path}.additionalProperties`, detail: 'additionalProperties and properties are mutual exclusive' });
  if (s['x-kubernetes-int-or-string'] && s.type) out.push({ type: 'FieldValueInvalid', field: `${path}.type`, value: s.type, detail: 'must be empty if x-kubernetes-int-or-string is true' });
  for (const [k, c] of Object.entries(s.properties ?? {})) {
    if (!isObj(c)) continue;
    const p = `${path}.properties[${k}]`;
    if (root && k === 'metadata') continue;
    if (!typed(c)) out.push({ type: 'FieldValueRequired', field: `${p}.type`, detail: 'must not be empty for specified object fields' });
    walk(c, p, out);
  }
  if (isObj(s.items)) {
    if (!typed(s.items)) out.push({ type: 'FieldValueRequired', field: `${path}.items.type`, detail: 'must not be empty for specified array items' });
    walk(s.items, `${path}.items`, out);
  }
  if (s.type === 'array' && !s.items) out.push({ type: 'FieldValueRequired', field: `${path}.items`, detail: 'must be specified' });
  if (isObj(s.additionalProperties)) {
    const c = s.additionalProperties as CrdSchema;
    if (!typed(c)) out.push({ type: 'FieldValueRequired', field: `${path}.additionalProperties.type`, detail: 'must not be empty for specified additionalProperties' });
    walk(c, `${path}.additionalProperties`, out);
  }
}

// ---------------------------------------------------------------- defaulting

/**
 * Fills `default` values where a field is absent (or null and not nullable), top-down,
 * as upstream's structural defaulting does on every write.
 */
export function applyDefaults(s: CrdSchema | undefined, v: unknown, root = true): void {
  if (!s) return;
  if (isObj(v)) {
    for (const [k, c] of Object.entries(s.properties ?? {})) {
      if (root && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
      if (c.default !== undefined && (v[k] === undefined || (v[k] === null && !c.nullable))) v[k] = structuredClone(c.default);
      if (v[k] !== undefined) applyDefaults(c, v[k], false);
    }
    if (isObj(s.additionalProperties)) for (const k of Object.keys(v)) applyDefaults(s.additionalProperties as CrdSchema, v[k], false);
  } else if (Array.isArray(v) && s.items) for (const x of v) applyDefaults(s.items, x, false);
}

// ---------------------------------------------------------------- validation

/** The type name kube-openapi reports for a JSON value. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Go's %v of a number (integers without a decimal point). */
const num = (n: number) => String(n);

/**
 * Validates a custom object against its version's schema. The root's metadata,
 * apiVersion and kind are checked elsewhere (ObjectMeta validation), as upstream.
 */
export function validateCustomObject(schema: CrdSchema | undefined, obj: any): FieldError[] {
  if (!schema) return [];
  const out: FieldError[] = [];
  const rootProps = { ...(schema.properties ?? {}) };
  for (const k of ['metadata', 'apiVersion', 'kind']) delete rootProps[k];
  const root: CrdSchema = { ...schema, properties: rootProps, required: (schema.required ?? []).filter((r) => !['metadata', 'apiVersion', 'kind'].includes(r)) };
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj ?? {})) if (!['metadata', 'apiVersion', 'kind'].includes(k)) body[k] = v;
  validateValue(root, body, '', out);
  return out;
}

function validateValue(s: CrdSchema, v: unknown, path: string, out: FieldError[]): void {
  const name = path || '<root>';
  const t = typeOf(v);
  if (v === null) {
    if (s.nullable || (!s.type && !s['x-kubernetes-int-or-string'])) return;
    const want = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
    out.push({ type: 'FieldValueTypeInvalid', field: name, value: 'null', detail: `${name} in body must be of type ${want}: "null"` });
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (t !== 'integer' && t !== 'string') {
      out.push({ type: 'FieldValueTypeInvalid', field: name, value: t, detail: `${name} in body must be of type integer,string: "${t}"` });
      return;
    }
  } else if (s.type && !(s.type === t || (s.type === 'number' && t === 'integer'))) {
    out.push({ type: 'FieldValueTypeInvalid', field: name, value: t, detail: `${name} in body must be of type ${s.type}: "${t}"` });
    return;
  }
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) {
    out.push({ type: 'FieldValueNotSupported', field: name, value: v, detail: `supported values: ${s.enum.map((e) => (typeof e === 'string' ? JSON.stringify(e) : JSON.stringify(e))).join(', ')}` });
  }
  if (typeof v === 'string') validateString(s, v, name, out);
  else if (typeof v === 'number') validateNumber(s, v, name, out);
  else if (Array.isArray(v)) validateArray(s, v, path, name, out);
  else if (isObj(v)) validateObject(s, v, path, name, out);
  validateCombinators(s, v, path, name, out);
}

/** allOf/anyOf/oneOf/not: in structural schemas they carry value validations only. */
function validateCombinators(s: CrdSchema, v: unknown, path: string, name: string, out: FieldError[]): void {
  const passes = (c: CrdSchema) => {
    const errs: FieldError[] = [];
    validateValue(c, v, path, errs);
    return errs.length === 0;
  };
  const bad = (detail: string) => out.push({ type: 'FieldValueInvalid', field: name, value: v, detail: `${name} in body ${detail}` });
  for (const c of s.allOf ?? []) validateValue(c, v, path, out);
  if (s.anyOf?.length && !s.anyOf.some(passes)) bad('must validate at least one schema (anyOf)');
  if (s.oneOf?.length && s.oneOf.filter(passes).length !== 1) bad('must validate one and only one schema (oneOf)');
  if (s.not && passes(s.not)) bad('must not validate the schema (not)');
}

/** The string formats kube-openapi's format registry checks (a subset: the common ones). */
const FORMATS: Record<string, (v: string) => boolean> = {
  'date-time': (v) => /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T'))),
  date: (v) => /^\d{4}-\d\d-\d\d$/.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  ipv4: (v) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v),
  ipv6: (v) => v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v),
  hostname: (v) => v.length <= 255 && /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(v),
  byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
};

function validateString(s: CrdSchema, v: string, name: string, out: FieldError[]): void {
  const fmt = s.format ? FORMATS[s.format] : undefined;
  if (fmt && !fmt(v)) out.push({ type: 'FieldValueTypeInvalid', field: name, value: v, detail: `${name} in body must be of type ${s.format}: ${JSON.stringify(v)}` });
  const len = [...v].length;
  if (s.maxLength !== undefined && len > s.maxLength) out.push({ type: 'FieldValueTooLong', field: name, value: v, detail: `may not be more than ${s.maxLength} bytes` });
  if (s.minLength !== undefined && len < s.minLength) out.push({ type: 'FieldValueInvalid', field: name, value: v, detail: `${name} in body should be at least ${s.minLength} chars long` });
  if (s.pattern !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.pattern, 'u');
    } catch {
      re = undefined;
    }
    if (re && !re.test(v)) out.push({ type: 'FieldValueInvalid', field: name, value: v, detail: `${name} in body should match '${s.pattern}'` });
  }
}

function validateNumber(s: CrdSchema, v: number, name: string, out: FieldError[]): void {
  const bad = (detail: string) => out.push({ type: 'FieldValueInvalid', field: name, value: v, detail: `${name} in body ${detail}` });
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum) bad(`should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${num(s.minimum)}`);
  }
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum) bad(`should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${num(s.maximum)}`);
  }
  if (s.multipleOf !== undefined && s.multipleOf > 0 && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) bad(`should be a multiple of ${num(s.multipleOf)}`);
}

function validateArray(s: CrdSchema, v: unknown[], path: string, name: string, out: FieldError[]): void {
  if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ type: 'FieldValueTooMany', field: name, value: v.length, detail: `${v.length}: must have at most ${s.maxItems} items` });
  if (s.minItems !== undefined && v.length < s.minItems) out.push({ type: 'FieldValueInvalid', field: name, value: v.length, detail: `${name} in body should have at least ${s.minItems} items` });
  if (s.uniqueItems || s['x-kubernetes-list-type'] === 'set') {
    const seen = new Set<string>();
    v.forEach((x, i) => {
      const k = JSON.stringify(x);
      if (seen.has(k)) out.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, value: x, detail: '' });
      seen.add(k);
    });
  }
  if (s.items) v.forEach((x, i) => validateValue(s.items!, x, `${path}[${i}]`, out));
}

function validateObject(s: CrdSchema, v: Record<string, unknown>, path: string, name: string, out: FieldError[]): void {
  const child = (k: string) => (path ? `${path}.${k}` : k);
  for (const r of s.required ?? []) if (v[r] === undefined) out.push({ type: 'FieldValueRequired', field: child(r), detail: '' });
  const n = Object.keys(v).length;
  if (s.maxProperties !== undefined && n > s.maxProperties) out.push({ type: 'FieldValueTooMany', field: name, value: n, detail: `${n}: must have at most ${s.maxProperties} items` });
  if (s.minProperties !== undefined && n < s.minProperties) out.push({ type: 'FieldValueInvalid', field: name, value: n, detail: `${name} in body should have at least ${s.minProperties} properties` });
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    const c = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as CrdSchema) : undefined);
    if (c) validateValue(c, x, child(k), out);
  }
}
