/**
 * ReplicaSet identity and revisions. The pod-template-hash (upstream's ComputeHash: an
 * FNV-32a hash of the pod template plus status.collisionCount, printed in decimal and
 * rendered with rand.SafeEncodeString's alphabet) names the new ReplicaSet
 * `<deployment>-<hash>` and labels its pods. Templates are compared ignoring that label;
 * the ReplicaSet whose template matches the Deployment's is the "new" one. Revisions
 * live in annotations that kubectl's `rollout history` and `rollout undo` read.
 */
import type { LabelSelector } from '../../client/selector.js';
import type { DefaultedDeployment, PodTemplateSpec, ReplicaSet } from './types.js';
import {
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  LAST_APPLIED_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  MAX_REV_HISTORY_LENGTH_IN_CHARS,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from './types.js';
import { byCreation, maxSurge, revisionOf } from './util.js';

/** k8s.io/apimachinery rand's alphabet: no vowels (no words) and no look-alikes (0/o, 1/l, 3/e). */
export const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped through SAFE_ALPHANUMS by its code. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a, 32 bit. */
export function fnv32a(bytes: Uint8Array, h = FNV32_OFFSET): number {
  for (const b of bytes) h = Math.imul(h ^ b, FNV32_PRIME) >>> 0;
  return h >>> 0;
}

/**
 * The template with Kubernetes' semantic-equality blind spots removed: nulls, empty
 * maps and empty lists are the same as absent (apiequality treats nil and empty alike,
 * and a template's `creationTimestamp: null` means nothing). Keys sorted.
 */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(normalize);
    return a.length ? a : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = normalize((v as Record<string, unknown>)[k]);
      if (x !== undefined) out[k] = x;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/** Stable text of a template: normalised, keys sorted. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(normalize(v) ?? {});
}

/**
 * ComputeHash: FNV-32a over the template (our deep-hash is its canonical JSON), then,
 * when collisionCount is set, its value as 4 little-endian bytes padded to 8 — a
 * collision bumps collisionCount and so yields a different name.
 */
export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const c = structuredClone(t ?? {}) as PodTemplateSpec;
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return normalize(c);
}

/** EqualIgnoreHash: semantically equal templates, pod-template-hash label aside. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return JSON.stringify(withoutHash(a)) === JSON.stringify(withoutHash(b));
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(d: { spec: { template: PodTemplateSpec } }, rsList: ReplicaSet[]): ReplicaSet | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** FindOldReplicaSets: every other ReplicaSet (all), and those still scaled up (required). */
export function findOldReplicaSets(d: { spec: { template: PodTemplateSpec } }, rsList: ReplicaSet[]): { required: ReplicaSet[]; all: ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const all = rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
  return { all, required: all.filter((rs) => (rs.spec.replicas ?? 1) !== 0) };
}

/** MaxRevision: the highest revision among the ReplicaSets (0 if none). */
export function maxRevision(rss: ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) max = Math.max(max, revisionOf(rs));
  return max;
}

/** Annotations a Deployment never hands down to its ReplicaSets (upstream's annotationsToSkip). */
export const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]);

/** Copies the Deployment's annotations (e.g. kubernetes.io/change-cause) onto the ReplicaSet. */
export function copyDeploymentAnnotations(d: DefaultedDeployment, rs: ReplicaSet): boolean {
  let changed = false;
  const ann = (rs.metadata.annotations ??= {});
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

/** Parses an integer annotation like strconv.Atoi; undefined when absent or malformed. */
export function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

/** SetReplicasAnnotations: desired-replicas and max-replicas. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  if (ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    ann[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (ann[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    ann[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const ann = rs.metadata.annotations;
  return !ann || ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || ann[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision to
 * newRevision if it is higher (a ReplicaSet brought back by `rollout undo` moves its old
 * number to revision-history, capped at 2000 characters by dropping the oldest), and on
 * creation record desired-replicas / max-replicas. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: DefaultedDeployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = (rs.metadata.annotations ??= {});
  const hadRevision = Object.prototype.hasOwnProperty.call(ann, REVISION_ANNOTATION);
  const oldRevision = ann[REVISION_ANNOTATION] ?? '';
  let oldRevisionInt = 0;
  if (oldRevision !== '') {
    if (!/^[+-]?\d+$/.test(oldRevision)) return false; // upstream gives up on a malformed revision
    oldRevisionInt = Number(oldRevision);
  }
  if (oldRevisionInt < newRevision) {
    ann[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (hadRevision) {
      const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
      else {
        const olds = history.split(',');
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REV_HISTORY_LENGTH_IN_CHARS && start < olds.length) total -= olds[start++].length + 1;
        if (total <= MAX_REV_HISTORY_LENGTH_IN_CHARS) ann[REVISION_HISTORY_ANNOTATION] = [...olds.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, d.spec.replicas, d.spec.replicas + maxSurge(d))) changed = true;
  return changed;
}

/** SetDeploymentRevision: the Deployment's revision annotation mirrors its new ReplicaSet's. */
export function setDeploymentRevision(d: DefaultedDeployment, revision: string): boolean {
  const ann = (d.metadata.annotations ??= {});
  if (ann[REVISION_ANNOTATION] === revision) return false;
  ann[REVISION_ANNOTATION] = revision;
  return true;
}

/** labelsutil.CloneSelectorAndAddLabel. */
export function selectorWithLabel(sel: LabelSelector | undefined, key: string, value: string): LabelSelector {
  const out = structuredClone(sel ?? {});
  out.matchLabels = { ...(out.matchLabels ?? {}), [key]: value };
  return out;
}

/**
 * The ReplicaSet a Deployment's current template calls for (not yet sized or annotated):
 * name `<deployment>-<hash>`, the hash as pod-template-hash in its labels, template labels
 * and selector, and a controller reference to the Deployment.
 */
export function newReplicaSetFor(d: DefaultedDeployment): ReplicaSet {
  const hash = computeHash(d.spec.template, d.status.collisionCount);
  const template = structuredClone(d.spec.template);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { ...template.metadata.labels! },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec.minReadySeconds,
      selector: selectorWithLabel(d.spec.selector, POD_TEMPLATE_HASH_LABEL, hash),
      template,
    },
  };
}
