/**
 * Persistent storage kinds: core/v1 PersistentVolumeClaim and PersistentVolume, and
 * storage.k8s.io/v1 StorageClass — defaults, upstream's validation (the subset skiff's
 * volume sources need) and the `kubectl get` columns of upstream's printers.
 */
import type { FieldError } from '../types.js';
import { kind } from './kind.js';
import { col } from './printing.js';
import { dns1123Subdomain, forbidden, immutable, invalid, notSupported, qualifiedName, required } from './validation.js';

const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const SHORT_MODE: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** The beta annotation still wins over spec.storageClassName (GetPersistentVolume[Claim]Class). */
export const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** StorageObjectInUseProtection's finalizers. */
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';

/** helper.GetAccessModesAsString: the short forms, in upstream's fixed order. */
export function accessModesString(modes: string[] | undefined): string {
  const have = new Set(modes ?? []);
  return ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'].filter((m) => have.has(m)).map((m) => SHORT_MODE[m]).join(',');
}

export const pvClass = (pv: any): string => pv.metadata?.annotations?.[BETA_STORAGE_CLASS] ?? pv.spec?.storageClassName ?? '';
export const pvcClass = (pvc: any): string => pvc.metadata?.annotations?.[BETA_STORAGE_CLASS] ?? pvc.spec?.storageClassName ?? '';

function validateAccessModes(modes: unknown, field: string): FieldError[] {
  const list = Array.isArray(modes) ? modes : [];
  if (!list.length) return [required(field, 'at least 1 access mode is required')];
  const out: FieldError[] = [];
  for (const m of list) if (!ACCESS_MODES.includes(m)) out.push(notSupported(field, m, ACCESS_MODES));
  if (list.includes('ReadWriteOncePod') && list.length > 1) out.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return out;
}

function validateClassName(name: unknown, field: string): FieldError[] {
  if (name === undefined || name === null || name === '') return [];
  return dns1123Subdomain(String(name)).map((m) => invalid(field, name, m));
}

/** PersistentVolume sources skiff knows by name; any one of them (and no more) must be set. */
const PV_SOURCES = ['gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi'];

function validatePvSpec(s: any): FieldError[] {
  const out: FieldError[] = [];
  out.push(...validateAccessModes(s.accessModes, 'spec.accessModes'));
  const cap = s.capacity;
  if (!cap || !Object.keys(cap).length) out.push(required('spec.capacity'));
  else for (const k of Object.keys(cap)) if (k !== 'storage') out.push(notSupported('spec.capacity', k, ['storage']));
  const policy = s.persistentVolumeReclaimPolicy;
  if (policy && !['Delete', 'Recycle', 'Retain'].includes(policy)) out.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, ['Delete', 'Recycle', 'Retain']));
  out.push(...validateClassName(s.storageClassName, 'spec.storageClassName'));
  if (s.volumeMode && !['Block', 'Filesystem'].includes(s.volumeMode)) out.push(notSupported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
  const set = PV_SOURCES.filter((k) => s[k] !== undefined && s[k] !== null);
  if (!set.length) out.push(required('spec', 'must specify a volume type'));
  for (const k of set.slice(1)) out.push(forbidden(`spec.${k}`, 'may not specify more than 1 volume type'));
  if (s.hostPath && !s.hostPath.path) out.push(required('spec.hostPath.path'));
  if (s.local) {
    if (!s.local.path) out.push(required('spec.local.path'));
    if (!s.nodeAffinity) out.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (s.nodeAffinity && !s.nodeAffinity.required?.nodeSelectorTerms?.length) out.push(required('spec.nodeAffinity.required.nodeSelectorTerms', 'must have at least one node selector term'));
  return out;
}

export const persistentvolumes = kind({
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  shortNames: ['pv'],
  namespaced: false,
  subresources: { status: true },
  columns: [
    col('Capacity', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
    col('Reason', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
  ],
  cells: (o) => [
    o.spec?.capacity?.storage ?? '0',
    accessModesString(o.spec?.accessModes),
    o.spec?.persistentVolumeReclaimPolicy ?? '',
    o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''),
    o.spec?.claimRef ? `${o.spec.claimRef.namespace ?? ''}/${o.spec.claimRef.name ?? ''}` : '',
    pvClass(o),
    o.spec?.volumeAttributesClassName ?? '<unset>',
    o.status?.reason ?? '',
  ],
  wide: [col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.')],
  wideCells: (o) => [o.spec?.volumeMode ?? '<unset>'],
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.persistentVolumeReclaimPolicy ??= 'Retain';
    s.volumeMode ??= 'Filesystem';
    if (s.hostPath) s.hostPath.type ??= '';
  },
  validate: (o, ctx) => {
    if (ctx.operation === 'status') return [];
    const out = validatePvSpec(o.spec ?? {});
    if (ctx.operation === 'update' && ctx.old) {
      // The volume source is immutable (ValidatePersistentVolumeUpdate), as is a set nodeAffinity.
      for (const k of PV_SOURCES) if (JSON.stringify(o.spec?.[k]) !== JSON.stringify(ctx.old.spec?.[k])) out.push(forbidden(`spec.persistentvolumesource`, 'spec.persistentvolumesource is forbidden.'));
      if (ctx.old.spec?.volumeMode !== o.spec?.volumeMode) out.push(immutable('spec.volumeMode', o.spec?.volumeMode));
      if (ctx.old.spec?.nodeAffinity && JSON.stringify(ctx.old.spec.nodeAffinity) !== JSON.stringify(o.spec?.nodeAffinity)) out.push(immutable('nodeAffinity.required.nodeSelectorTerms', o.spec?.nodeAffinity));
    }
    return out.filter((e, i, a) => a.findIndex((x) => x.field === e.field && x.detail === e.detail) === i);
  },
  prepareForCreate: (o) => {
    o.status = { phase: 'Pending' };
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is immutable except resources.requests, and
 * except what binding fills in (volumeName once, storageClassName when it was unset).
 */
function pvcSpecChange(spec: any, old: any): boolean {
  const strip = (s: any, o: any) => {
    const c = { ...(s ?? {}) };
    delete c.resources;
    delete c.volumeAttributesClassName;
    if (!o?.volumeName) delete c.volumeName;
    if (o?.storageClassName === undefined || o?.storageClassName === null) delete c.storageClassName;
    return JSON.stringify(c, Object.keys(c).sort());
  };
  return strip(spec, old) !== strip(old, old);
}

export const persistentvolumeclaims = kind({
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  shortNames: ['pvc'],
  namespaced: true,
  subresources: { status: true },
  columns: [
    col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
  ],
  // Capacity and access modes are shown only once a volume is named (printPersistentVolumeClaim).
  cells: (o) => {
    const bound = !!o.spec?.volumeName;
    return [o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''), o.spec?.volumeName ?? '', bound ? (o.status?.capacity?.storage ?? '0') : '', bound ? accessModesString(o.status?.accessModes) : '', pvcClass(o), o.spec?.volumeAttributesClassName ?? '<unset>'];
  },
  wide: [col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.')],
  wideCells: (o) => [o.spec?.volumeMode ?? '<unset>'],
  defaults: (o) => {
    (o.spec ??= {}).volumeMode ??= 'Filesystem';
  },
  validate: (o, ctx) => {
    if (ctx.operation === 'status') return [];
    const out: FieldError[] = [];
    const s = o.spec ?? {};
    if (ctx.operation === 'create') {
      out.push(...validateAccessModes(s.accessModes, 'spec.accessModes'));
      if (!s.resources?.requests?.storage) out.push(required('spec.resources[storage]'));
    }
    out.push(...validateClassName(s.storageClassName, 'spec.storageClassName'));
    if (s.volumeMode && !['Block', 'Filesystem'].includes(s.volumeMode)) out.push(notSupported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
    if (ctx.operation === 'update' && ctx.old && pvcSpecChange(s, ctx.old.spec)) out.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    return out;
  },
  prepareForCreate: (o) => {
    o.status = { phase: 'Pending' };
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

export const isDefaultClass = (sc: any): boolean => sc?.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || sc?.metadata?.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';

export const storageclasses = kind({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  shortNames: ['sc'],
  namespaced: false,
  columns: [
    col('Provisioner', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
    col('VolumeBindingMode', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used.'),
    col('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
  ],
  cells: (o) => [o.provisioner ?? '', o.reclaimPolicy ?? 'Delete', o.volumeBindingMode ?? 'Immediate', String(!!o.allowVolumeExpansion)],
  defaults: (o) => {
    o.reclaimPolicy ??= 'Delete';
    o.volumeBindingMode ??= 'Immediate';
  },
  validate: (o, ctx) => {
    const out: FieldError[] = [];
    if (!o.provisioner) out.push(required('provisioner'));
    else for (const m of qualifiedName(o.provisioner)) out.push(invalid('provisioner', o.provisioner, m));
    if (!['Delete', 'Retain'].includes(o.reclaimPolicy)) out.push(notSupported('reclaimPolicy', o.reclaimPolicy, ['Delete', 'Retain']));
    if (!['Immediate', 'WaitForFirstConsumer'].includes(o.volumeBindingMode)) out.push(notSupported('volumeBindingMode', o.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
    if (Object.keys(o.parameters ?? {}).length > 512) out.push({ type: 'FieldValueTooLong', field: 'parameters', detail: 'must have at most 512 entries' });
    const old = ctx.old;
    if (ctx.operation === 'update' && old) {
      if (JSON.stringify(o.parameters ?? {}) !== JSON.stringify(old.parameters ?? {})) out.push(forbidden('parameters', 'updates to parameters are forbidden.'));
      if (o.provisioner !== old.provisioner) out.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
      if (o.reclaimPolicy !== old.reclaimPolicy) out.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
      if (o.volumeBindingMode !== old.volumeBindingMode) out.push(immutable('volumeBindingMode', o.volumeBindingMode));
    }
    return out;
  },
});

// printStorageClass: the default class's name carries " (default)".
const scRow = storageclasses.row;
storageclasses.row = (o, now) => {
  const r = scRow(o, now);
  if (isDefaultClass(o)) r[0] = `${r[0]} (default)`;
  return r;
};

export const storageKinds = [persistentvolumes, persistentvolumeclaims, storageclasses];
