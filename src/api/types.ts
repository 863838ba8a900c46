/**
 * How a Kubernetes kind is declared to skiff. Adding a kind is a declaration: a
 * ResourceDef (names, scope, subresources, schema, defaults, validation, table columns);
 * the API server, discovery, OpenAPI and kubectl's table printing need nothing more.
 */

/** An OpenAPI v3 schema object (the subset Kubernetes uses), with Kubernetes' extensions. */
export interface JSONSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchema>;
  additionalProperties?: JSONSchema | boolean;
  items?: JSONSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  /** '#/components/schemas/<definition name>' */
  $ref?: string;
  allOf?: JSONSchema[];
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  /** 'atomic' | 'set' | 'map' (server-side apply list semantics) */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  /** 'granular' | 'atomic' for maps/structs */
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  /** strategic merge patch: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace' */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-unions'?: unknown[];
}

/** A field error from validation (field.Error in Kubernetes). */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound';

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with indexes, as Kubernetes prints it: spec.template.spec.containers[0].image */
  field: string;
  /** Detail shown after the standard prefix, e.g. "Invalid value: \"Foo\": a lowercase RFC 1123 ..." is built from value + detail. */
  detail: string;
  /** The bad value (for FieldValueInvalid/NotSupported/Duplicate). */
  value?: unknown;
  /** The value as Go's %#v prints it, for struct values (rbac.RoleRef{...}); shown as is. */
  valueText?: string;
}

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = shown by default; >0 = only with -o wide. */
  priority: number;
}

export interface ScaleSubresource {
  specReplicasPath: string; // e.g. '.spec.replicas'
  statusReplicasPath: string; // e.g. '.status.replicas'
  labelSelectorPath?: string; // e.g. '.status.selector' (string form)
}

/** Context given to validation. */
export interface ValidationContext {
  /** The object as stored, on update. */
  old?: any;
  /** 'create' | 'update' | 'status' (status subresource update) */
  operation: 'create' | 'update' | 'status';
}

export interface ResourceDef {
  group: string; // '' for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  /** Verbs for discovery (defaults to all standard verbs). */
  verbs?: string[];
  /** Definition name of the kind in the schema registry, e.g. 'io.k8s.api.apps.v1.Deployment'. */
  schemaName: string;
  subresources?: { status?: boolean; scale?: ScaleSubresource };
  /** Whether metadata.generation is maintained (bumped on spec changes). */
  generation?: boolean;
  /** Fields that cannot change after create (dotted paths), checked generically. */
  immutableFields?: string[];
  /** Fills defaults in place (applied on every create/update/patch, as upstream's defaulting on decode). */
  defaults?(obj: any): void;
  /** Semantic validation beyond the schema. Return [] when valid. */
  validate?(obj: any, ctx: ValidationContext): FieldError[];
  /** Strategy hook on create: e.g. reset status owned by controllers, set initial status. */
  prepareForCreate?(obj: any): void;
  /** Strategy hook on update of the main resource: e.g. keep status from old. Runs before generation bump. */
  prepareForUpdate?(obj: any, old: any): void;
  /** Table columns (kubectl get), first column is Name. */
  columns: TableColumnDefinition[];
  /** Cells for one object, same order as columns. now for ages. */
  row(obj: any, now: Date): unknown[];
  /** Name format: DNS-1123 subdomain (default), label, or path segment. */
  nameValidation?: 'subdomain' | 'label' | 'path-segment';
  /** Strategy hook on the first delete (e.g. a CRD adds its cleanup finalizer); now is RFC 3339. */
  prepareForDelete?(obj: any, now: string): void;
  /**
   * A custom resource served from a CRD: decoded as unstructured (a type mismatch is a
   * schema validation error, 422, not a decoding error) and not patchable with strategic
   * merge patch.
   */
  custom?: boolean;
  /** Extra fields usable in fieldSelector (beyond metadata.name/namespace): path -> getter. */
  selectableFields?: Record<string, (obj: any) => string | undefined>;
  /**
   * Another kind's or version's storage this one is served from, as events.k8s.io/v1
   * Events are the core/v1 Events and autoscaling/v1 HPAs the v2 objects: objects are kept
   * in that form and converted on the way in and out, so both see (and watch) the same
   * objects. fromStored must not mutate its input.
   */
  storedAs?: StoredAs;
}

export interface StoredAs {
  /** Where the objects are kept, when not under this kind's own group and resource. */
  group?: string;
  plural?: string;
  toStored(obj: any): any;
  fromStored(obj: any): any;
}

/** Key in the registry: group/version/plural. */
export function gvrKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
