/**
 * The ResourceQuota admission plugin, as upstream's: a new object in a namespace with
 * quotas must fit every quota that covers it (matched on the quota's status.hard, so a
 * quota the controller has not synced yet covers nothing). A pod must state requests
 * and limits for the cpu/memory a quota constrains ("failed quota: q: must specify ..."),
 * a quota whose usage is not known yet refuses ("status unknown for quota"), and a create
 * that would go over refuses with "exceeded quota: q, requested: ..., used: ..., limited: ...".
 *
 * Admission reserves what it admits: it writes the quota's new status.used with the
 * quota's resourceVersion as precondition, so two concurrent creates cannot both squeeze
 * under the limit; the loser sees a conflict, re-reads the quota and is judged again.
 * The resource quota controller later recomputes used from what is really stored.
 */
import type { Registry } from '../../api/registry.js';
import { parseResourceList, resourceListToJson, type ResourceList } from '../../api/quantity.js';
import { matchingResources, podConstraints, quotaMatches, quotaScopeRequirements, usageOf } from '../../quota/evaluators.js';
import { addLists, exceededNames, maskList, prettyPrint } from '../../quota/resources.js';
import { ApiError } from '../errors.js';
import type { ObjectStore } from '../object-store.js';
import type { PresenceCache } from './presence-cache.js';

const MAX_ATTEMPTS = 8;

function forbidden(plural: string, group: string, obj: any, why: string): ApiError {
  const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
  const resource = group ? `${plural}.${group}` : plural;
  return new ApiError(403, 'Forbidden', `${resource} "${name}" is forbidden: ${why}`, { name, group: group || undefined, kind: plural });
}

interface Pending {
  quota: any;
  used: ResourceList;
}

/** Kinds whose updates are charged too (OperationResources): a service's type, a claim's size. */
const CHARGED_ON_UPDATE = new Set(['services', 'persistentvolumeclaims']);

export const quotaChargesUpdate = (group: string, plural: string) => !group && CHARGED_ON_UPDATE.has(plural);

/**
 * Checks a create (or, with `old`, an update of a service or claim: only the growth is
 * charged) against the namespace's quotas and reserves its usage (unless dryRun).
 */
export async function admitResourceQuota(reg: Registry, store: ObjectStore, group: string, plural: string, obj: any, o: { dryRun: boolean; now: Date; old?: any; presence?: PresenceCache }): Promise<void> {
  const ns = obj.metadata?.namespace;
  const def = reg.lookup('', 'v1', 'resourcequotas');
  if (!ns || !def || o.presence?.mayHave(ns) === false) return;
  if (o.old && !quotaChargesUpdate(group, plural)) return;
  let delta = usageOf(group, plural, obj, o.now);
  if (o.old) {
    // SubtractWithNonNegativeResult: what shrank is given back by the controller, not here.
    const prev = usageOf(group, plural, o.old, o.now);
    for (const [k, v] of delta) {
      const p = prev.get(k);
      if (p) delta.set(k, { nanos: v.nanos > p.nanos ? v.nanos - p.nanos : 0n, format: v.format });
    }
    if ([...delta.values()].every((v) => v.nanos === 0n)) return;
  }
  for (let attempt = 0; ; attempt++) {
    const quotas = (await store.list(def, ns)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (!quotas.length) return;
    const pending: Pending[] = [];
    for (const q of quotas) {
      // Upstream matches on status.hard: a quota the controller has not synced covers nothing.
      if (!quotaMatches({ ...q, spec: { ...q.spec, hard: undefined } }, group, plural, obj)) continue;
      const hard = parseResourceList(q.status?.hard);
      const restricted = matchingResources(group, plural, [...hard.keys()], quotaScopeRequirements(q).map((s) => s.scopeName));
      if (!group && plural === 'pods') {
        const missing = podConstraints(restricted, obj);
        if (missing) throw forbidden(plural, group, obj, `failed quota: ${q.metadata.name}: ${missing}`);
      }
      const usedNow = parseResourceList(q.status?.used);
      const unknown = restricted.filter((r) => !usedNow.has(r));
      if (unknown.length) throw forbidden(plural, group, obj, `status unknown for quota: ${q.metadata.name}, resources: ${[...restricted].sort().join(',')}`);
      const requested = maskList(delta, restricted);
      for (const [k, v] of requested) if (v.nanos === 0n) requested.delete(k);
      if (!requested.size) continue;
      const newUsage = addLists(usedNow, requested);
      const exceeded = exceededNames(maskList(newUsage, requested.keys()), hard);
      if (exceeded.length) {
        throw forbidden(plural, group, obj, `exceeded quota: ${q.metadata.name}, requested: ${prettyPrint(maskList(requested, exceeded))}, used: ${prettyPrint(maskList(usedNow, exceeded))}, limited: ${prettyPrint(maskList(hard, exceeded))}`);
      }
      pending.push({ quota: q, used: maskList(newUsage, hard.keys()) });
    }
    if (o.dryRun || !pending.length) return;
    try {
      for (const p of pending) {
        const updated = structuredClone(p.quota);
        updated.status = { ...updated.status, used: resourceListToJson(p.used) };
        await store.update(def, updated, Number(p.quota.metadata.resourceVersion));
      }
      return;
    } catch (err) {
      // Another writer changed a quota since we read it: judge the create again.
      if (err instanceof ApiError && err.code === 409 && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}
