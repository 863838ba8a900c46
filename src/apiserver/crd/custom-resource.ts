/**
 * The ResourceDef of one served version of a CustomResourceDefinition: names from the
 * CRD's accepted names, the status and scale subresources it declares, its schema
 * (defaulting, validation, and the OpenAPI definition that pruning, server-side apply and
 * /openapi/v3 read), and the table kubectl get prints from additionalPrinterColumns
 * (without any, NAME and AGE).
 */
import type { JSONSchema, ResourceDef, TableColumnDefinition } from '../../api/types.js';
import { applyDefaults, validateCustomObject, type CrdSchema } from '../../api/crd-schema.js';
import { AGE_COL, NAME_COL, age, humanDuration } from '../../api/builtin/printing.js';
import { ApiError } from '../errors.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';

/** What the CRD controller changes while a CRD's objects are served. */
export interface CrdServingState {
  terminating: boolean;
}

/** The OpenAPI definition name upstream publishes for a custom kind: com.example.stable.v1.CronTab. */
export function customSchemaName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** The version's schema with the object's type and metadata fields, as published. */
export function publishedSchema(schema: CrdSchema | undefined, group: string, version: string, kind: string): JSONSchema {
  const base: any = structuredClone(schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  base.type ??= 'object';
  if (!base['x-kubernetes-preserve-unknown-fields'] || base.properties) {
    base.properties = {
      ...(base.properties ?? {}),
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { $ref: `#/components/schemas/${OBJECT_META}` },
    };
  }
  base['x-kubernetes-group-version-kind'] = [{ group, version, kind }];
  return base as JSONSchema;
}

/** One cell as upstream's CRD table convertor renders it. */
function cell(type: string, values: unknown[], now: Date): unknown {
  if (!values.length || values[0] === undefined || values[0] === null) return null;
  const v = values[0];
  switch (type) {
    case 'date': {
      if (typeof v !== 'string') return null;
      const t = Date.parse(v);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now.getTime() - t);
    }
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

function printerColumns(cols: any[] | undefined): { columns: TableColumnDefinition[]; row: (o: any, now: Date) => unknown[] } {
  if (!cols?.length) return { columns: [NAME_COL, AGE_COL], row: (o, now) => [o.metadata?.name, age(o, now)] };
  const paths = cols.map((c) => {
    try {
      return parseJsonPath(String(c.jsonPath));
    } catch {
      return undefined;
    }
  });
  return {
    columns: [NAME_COL, ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }))],
    row: (o, now) => [o.metadata?.name, ...cols.map((c, i) => (paths[i] ? cell(c.type, evalJsonPath(paths[i]!, o), now) : null))],
  };
}

/** selectableFields: `.spec.color` is usable as fieldSelector=spec.color=... (scalar values as strings). */
function selectable(fields: any[] | undefined): ResourceDef['selectableFields'] {
  if (!fields?.length) return undefined;
  const out: NonNullable<ResourceDef['selectableFields']> = {};
  for (const f of fields) {
    const path = String(f?.jsonPath ?? '');
    if (!path.startsWith('.')) continue;
    const keys = path.slice(1).split('.');
    out[path.slice(1)] = (o) => {
      const v = keys.reduce((x: any, k) => (x && typeof x === 'object' ? x[k] : undefined), o);
      return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
    };
  }
  return out;
}

/** The ResourceDef serving `version` of `crd`. */
export function customResourceDef(crd: any, version: any, state: CrdServingState): ResourceDef {
  const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : crd.spec.names;
  const group: string = crd.spec.group;
  const schema: CrdSchema | undefined = version.schema?.openAPIV3Schema;
  const sub = version.subresources ?? {};
  const table = printerColumns(version.additionalPrinterColumns);
  const status = !!sub.status;
  return {
    group,
    version: version.name,
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural,
    singular: names.singular ?? String(names.kind).toLowerCase(),
    shortNames: names.shortNames,
    categories: names.categories,
    namespaced: crd.spec.scope === 'Namespaced',
    schemaName: customSchemaName(group, version.name, names.kind),
    subresources: {
      ...(status ? { status: true } : {}),
      ...(sub.scale ? { scale: { specReplicasPath: sub.scale.specReplicasPath, statusReplicasPath: sub.scale.statusReplicasPath, labelSelectorPath: sub.scale.labelSelectorPath } } : {}),
    },
    generation: true,
    custom: true,
    defaults: (o) => applyDefaults(schema, o),
    validate: (o) => validateCustomObject(schema, o),
    prepareForCreate: (o) => {
      if (state.terminating) throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating');
      // With the status subresource, status is written only through it.
      if (status) delete o.status;
    },
    columns: table.columns,
    row: table.row,
    selectableFields: selectable(version.selectableFields),
  };
}

/** Kubernetes' version priority (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other, others alphabetically): negative when a comes first. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return { major: Number(m[1]), stage: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: Number(m[3] ?? 0) };
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return x ? -1 : y ? 1 : a.localeCompare(b);
  if (x.stage !== y.stage) return y.stage - x.stage;
  if (x.major !== y.major) return y.major - x.major;
  return y.minor - x.minor;
}
