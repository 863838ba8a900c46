/**
 * Writing answers: JSON bodies, metav1.Status errors, and the meta.k8s.io Table and
 * PartialObjectMetadata forms that kubectl asks for in its Accept header.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { ApiError, errors } from '../errors.js';

export interface OutputFormat {
  as: 'object' | 'Table' | 'PartialObjectMetadata';
  /** Content-Type to answer with. */
  contentType: string;
  includeObject: 'None' | 'Metadata' | 'Object';
}

/** Reads the Accept header the way kube-apiserver's negotiation does (first acceptable wins). */
export function negotiate(accept: string | undefined, includeObject: string | null): OutputFormat {
  const inc = (includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata') as OutputFormat['includeObject'];
  const plain: OutputFormat = { as: 'object', contentType: 'application/json', includeObject: inc };
  if (!accept) return plain;
  let anyJson = false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((y) => y.trim())));
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*' && type !== 'application/yaml') continue;
    if (p.as === 'Table' && p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) return { as: 'Table', contentType: `application/json;as=Table;v=${p.v};g=meta.k8s.io`, includeObject: inc };
    if ((p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') && p.g === 'meta.k8s.io') return { as: 'PartialObjectMetadata', contentType: `application/json;as=${p.as};v=${p.v ?? 'v1'};g=meta.k8s.io`, includeObject: inc };
    if (!p.as) anyJson = true;
  }
  if (anyJson) return plain;
  throw errors.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : errors.internal(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A suggested retry delay also goes out as Retry-After, as upstream's ErrorNegotiated does.
  const retry = e.details?.retryAfterSeconds;
  sendJson(res, e.code, e.toStatus(), retry && retry > 0 ? { 'Retry-After': String(retry) } : {});
}

export function partialMetadata(obj: any): any {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function rowOf(def: ResourceDef, obj: any, now: Date, include: OutputFormat['includeObject']): any {
  const row: any = { cells: def.row(obj, now) };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = partialMetadata(obj);
  return row;
}

/** A meta.k8s.io/v1 Table of objects (the server-side printing kubectl get shows). */
export function toTable(def: ResourceDef, objs: any[], fmt: OutputFormat, listMeta: Record<string, unknown> = {}, withColumns = true): any {
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(withColumns ? { columnDefinitions: def.columns } : { columnDefinitions: null }),
    rows: objs.map((o) => rowOf(def, o, now, fmt.includeObject)),
  };
}

/** Renders one object (get, create, update...) in the negotiated form. */
export function render(def: ResourceDef, obj: any, fmt: OutputFormat): any {
  if (fmt.as === 'Table') return toTable(def, [obj], fmt, { resourceVersion: obj.metadata?.resourceVersion });
  if (fmt.as === 'PartialObjectMetadata') return partialMetadata(obj);
  return withTypeMeta(def, obj);
}

export function withTypeMeta(def: ResourceDef, obj: any): any {
  if (obj.kind === def.kind && obj.apiVersion === apiVersionOf(def)) return obj;
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...rest };
}
