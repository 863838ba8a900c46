/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition: defaulting and validation as
 * upstream's (metadata.name is `<plural>.<group>`, DNS-1035 names, scope, exactly one
 * storage version, a structural schema per version, approval for *.k8s.io groups), status kept
 * apart (the CRD controller in apiserver/crd writes conditions, acceptedNames and
 * storedVersions), and `kubectl get crd`'s NAME, CREATED AT.
 */
import type { FieldError, ResourceDef } from '../types.js';
import { structuralErrors } from '../crd-schema.js';
import { dns1123Subdomain, immutable, invalid, notSupported, required } from './validation.js';
import { col, NAME_COL } from './printing.js';

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** apimachinery's IsDNS1035Label messages. */
export function dns1035Label(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035.test(v))
    out.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  return out;
}

function validateNames(n: any, path: string, out: FieldError[]): void {
  n ??= {};
  const label = (f: string, v: unknown) => {
    if (typeof v === 'string' && v) for (const m of dns1035Label(v)) out.push(invalid(`${path}.${f}`, v, m));
  };
  const mixed = (f: string, v: unknown) => {
    if (typeof v === 'string' && v) {
      const e = dns1035Label(v.toLowerCase());
      if (e.length) out.push(invalid(`${path}.${f}`, v, `may have mixed case, but should otherwise match: ${e.join(',')}`));
    }
  };
  label('plural', n.plural);
  label('singular', n.singular);
  mixed('kind', n.kind);
  mixed('listKind', n.listKind);
  (n.shortNames ?? []).forEach((s: string, i: number) => label(`shortNames[${i}]`, s));
  (n.categories ?? []).forEach((s: string, i: number) => label(`categories[${i}]`, s));
}

function validateColumns(cols: any[] | undefined, path: string, out: FieldError[]): void {
  const types = ['integer', 'number', 'string', 'boolean', 'date'];
  (cols ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c?.name) out.push(required(`${p}.name`));
    if (!c?.type) out.push(required(`${p}.type`));
    else if (!types.includes(c.type)) out.push(notSupported(`${p}.type`, c.type, types));
    if (!c?.jsonPath) out.push(required(`${p}.jsonPath`));
    if (c?.priority !== undefined && c.priority < 0) out.push(invalid(`${p}.priority`, c.priority, 'must be greater than or equal to 0'));
  });
}

const APPROVAL = 'api-approved.kubernetes.io';

/** Groups under k8s.io and kubernetes.io need the API-review approval annotation (a URL, or "unapproved..."). */
function validateApproval(o: any): FieldError[] {
  const g = String(o.spec?.group ?? '');
  if (!['k8s.io', 'kubernetes.io'].some((p) => g === p || g.endsWith(`.${p}`))) return [];
  const v = o.metadata?.annotations?.[APPROVAL];
  const field = `metadata.annotations[${APPROVAL}]`;
  if (v === undefined) return [required(field, `protected groups must have approval annotation "${APPROVAL}", see https://github.com/kubernetes/enhancements/pull/1111`)];
  if (/^https?:\/\/\S+$/.test(v) || String(v).startsWith('unapproved')) return [];
  return [invalid(field, v, `protected groups must have approval annotation "${APPROVAL}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`)];
}

export function validateCrd(o: any, old?: any): FieldError[] {
  const out: FieldError[] = validateApproval(o);
  const spec = o.spec ?? {};
  const names = spec.names ?? {};
  if (o.metadata?.name !== `${names.plural}.${spec.group}`) out.push(invalid('metadata.name', o.metadata?.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  if (!spec.group) out.push(required('spec.group'));
  else {
    const e = dns1123Subdomain(spec.group);
    if (e.length) out.push(invalid('spec.group', spec.group, e.join(',')));
    else if (spec.group.split('.').length < 2) out.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) out.push(required('spec.scope'));
  else if (!['Cluster', 'Namespaced'].includes(spec.scope)) out.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  const versions: any[] = Array.isArray(spec.versions) ? spec.versions : [];
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    if (seen.has(v?.name)) unique = false;
    seen.add(v?.name);
    for (const m of dns1035Label(String(v?.name ?? ''))) out.push(invalid(`${p}.name`, v?.name ?? '', m));
    out.push(...structuralErrors(v?.schema?.openAPIV3Schema, `${p}.schema.openAPIV3Schema`));
    const scale = v?.subresources?.scale;
    if (scale) {
      if (!scale.specReplicasPath) out.push(required(`${p}.subresources.scale.specReplicasPath`));
      if (!scale.statusReplicasPath) out.push(required(`${p}.subresources.scale.statusReplicasPath`));
    }
    validateColumns(v?.additionalPrinterColumns, `${p}.additionalPrinterColumns`, out);
  });
  if (!unique) out.push(invalid('spec.versions', versions, 'must contain unique version names'));
  if (versions.filter((v) => v?.storage).length !== 1) out.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  // No version need be served: upstream chose not to force one (a CRD may be kept unserved).
  for (const f of ['plural', 'singular', 'kind', 'listKind']) if (!names[f]) out.push(required(`spec.names.${f}`));
  validateNames(names, 'spec.names', out);
  if (spec.preserveUnknownFields === true) out.push(invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && !['None', 'Webhook'].includes(strategy)) out.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  if (old) {
    if (spec.group !== old.spec?.group) out.push(immutable('spec.group', spec.group));
    if (names.plural !== old.spec?.names?.plural) out.push(immutable('spec.names.plural', names.plural));
    const established = (old.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True');
    if (established && spec.scope !== old.spec?.scope) out.push(immutable('spec.scope', spec.scope));
    if (established && names.kind !== old.spec?.names?.kind) out.push(immutable('spec.names.kind', names.kind));
    // Every version objects may be stored in must stay listed (status.storedVersions).
    for (const [i, sv] of (o.status?.storedVersions ?? []).entries()) if (!seen.has(sv)) out.push(invalid(`status.storedVersions[${i}]`, sv, 'must appear in spec.versions'));
  }
  return out;
}

function defaultCrd(o: any): void {
  const spec = (o.spec ??= {});
  const names = (spec.names ??= {});
  if (names.kind && !names.singular) names.singular = String(names.kind).toLowerCase();
  if (names.kind && !names.listKind) names.listKind = `${names.kind}List`;
  spec.conversion ??= { strategy: 'None' };
}

function emptyStatus(): any {
  return { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
}

export const customResourceDefinitions: ResourceDef = {
  group: CRD_GROUP,
  version: 'v1',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  namespaced: false,
  schemaName: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  subresources: { status: true },
  generation: true,
  defaults: defaultCrd,
  prepareForCreate: (o) => {
    o.status = emptyStatus();
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status ?? emptyStatus();
  },
  validate: (o, ctx) => (ctx.operation === 'status' ? [] : validateCrd(o, ctx.old)),
  // As upstream's REST Delete: the first delete adds the cleanup finalizer (the CRD
  // controller deletes every custom object, then removes it) and a Terminating condition.
  prepareForDelete: (o, now) => {
    const fins: string[] = (o.metadata.finalizers ??= []);
    if (!fins.includes(CLEANUP_FINALIZER)) fins.push(CLEANUP_FINALIZER);
    const status = (o.status ??= emptyStatus());
    const conds: any[] = (status.conditions ??= []);
    if (!conds.some((c) => c.type === 'Terminating' && c.status === 'True')) {
      status.conditions = [
        ...conds.filter((c) => c.type !== 'Terminating'),
        { type: 'Terminating', status: 'True', lastTransitionTime: now, reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' },
      ];
    }
  },
  // The default table of kube-apiserver's generic registry: Name and Created At.
  columns: [NAME_COL, col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.', { type: 'date' })],
  row: (o) => [o.metadata?.name, o.metadata?.creationTimestamp],
};
