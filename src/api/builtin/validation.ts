/**
 * Validation helpers with apimachinery's messages: DNS-1123 names, label keys and
 * values, object metadata (name/generateName, namespace, labels, annotations, immutable
 * identity on update).
 */
import type { FieldError, ResourceDef, ValidationContext } from '../types.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function dns1123Label(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL.test(v))
    out.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return out;
}

export function dns1123Subdomain(v: string): string[] {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!SUBDOMAIN.test(v))
    out.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return out;
}

const QUALIFIED = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function qualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  const out: string[] = [];
  if (parts.length === 2) {
    if (!parts[0]) out.push('prefix part must be non-empty');
    else out.push(...dns1123Subdomain(parts[0]).map((m) => `prefix part ${m}`));
    name = parts[1];
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (!name) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name && !QUALIFIED.test(name))
    out.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  return out;
}

export function labelValue(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(v))
    out.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return out;
}

export const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, value, detail });
export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({ type: 'FieldValueNotSupported', field, value, detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });
export const immutable = (field: string, value: unknown): FieldError => invalid(field, value, 'field is immutable');

export function validateLabels(labels: unknown, field: string): FieldError[] {
  const out: FieldError[] = [];
  if (labels === undefined || labels === null) return out;
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of qualifiedName(k)) out.push(invalid(field, k, m));
    if (typeof v !== 'string') out.push(invalid(`${field}[${k}]`, v, 'must be a string'));
    else for (const m of labelValue(v)) out.push(invalid(field, v, m));
  }
  return out;
}

export function validateObjectMeta(obj: any, def: ResourceDef, ctx: ValidationContext): FieldError[] {
  const out: FieldError[] = [];
  const m = obj.metadata ?? {};
  const check = def.nameValidation === 'label' ? dns1123Label : def.nameValidation === 'path-segment' ? (v: string) => (/[/%]/.test(v) || v === '.' || v === '..' ? [`may not contain '/' or '%'`] : []) : dns1123Subdomain;
  if (!m.name) {
    if (!m.generateName) out.push(required('metadata.name', 'name or generateName is required'));
  } else for (const msg of check(m.name)) out.push(invalid('metadata.name', m.name, msg));
  if (def.namespaced && !m.namespace) out.push(required('metadata.namespace'));
  if (!def.namespaced && m.namespace) out.push(forbidden('metadata.namespace', 'not allowed on this type'));
  out.push(...validateLabels(m.labels, 'metadata.labels'));
  if (m.annotations) {
    let size = 0;
    for (const [k, v] of Object.entries(m.annotations as Record<string, unknown>)) {
      for (const msg of qualifiedName(k)) out.push(invalid('metadata.annotations', k, msg));
      size += k.length + String(v).length;
    }
    if (size > 256 * 1024) out.push({ type: 'FieldValueTooLong', field: 'metadata.annotations', detail: 'must have at most 262144 bytes' });
  }
  for (const [i, r] of (m.ownerReferences ?? []).entries()) {
    if (!r.apiVersion) out.push(invalid(`metadata.ownerReferences[${i}].apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) out.push(invalid(`metadata.ownerReferences[${i}].kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) out.push(invalid(`metadata.ownerReferences[${i}].name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) out.push(invalid(`metadata.ownerReferences[${i}].uid`, r.uid ?? '', 'uid must not be empty'));
  }
  if (ctx.old) {
    const o = ctx.old.metadata ?? {};
    if (m.name !== o.name) out.push(immutable('metadata.name', m.name));
    if (m.uid !== undefined && m.uid !== o.uid) out.push(immutable('metadata.uid', m.uid));
    if (m.creationTimestamp !== undefined && m.creationTimestamp !== o.creationTimestamp) out.push(immutable('metadata.creationTimestamp', m.creationTimestamp));
  }
  return out;
}
