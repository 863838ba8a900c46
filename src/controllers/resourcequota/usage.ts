/**
 * CalculateUsage: a quota's status.used from the objects stored in its namespace — for
 * every hard resource, the sum of what each covered object uses (zero when nothing does).
 */
import { parseResourceList, resourceListToJson, zeroQuantity, type ResourceList } from '../../api/quantity.js';
import { matchingResources, quotaMatches, quotaScopeRequirements, usageOf } from '../../quota/evaluators.js';
import { addLists, countedKind, maskList } from '../../quota/resources.js';

/** The kinds a quota's hard resources count, as "group/plural" keys. */
export function kindsOfQuota(quota: any): { group: string; plural: string }[] {
  const seen = new Map<string, { group: string; plural: string }>();
  for (const name of Object.keys(quota.spec?.hard ?? {})) {
    const k = countedKind(name);
    if (k) seen.set(`${k.group}/${k.plural}`, k);
  }
  return [...seen.values()];
}

/** status.used for the quota, given the namespace's objects of each kind it counts. */
export function calculateUsage(quota: any, objectsOf: (group: string, plural: string) => any[], now: Date): Record<string, string> {
  const hard = parseResourceList(quota.spec?.hard);
  const scopes = quotaScopeRequirements(quota).map((s) => s.scopeName);
  let used: ResourceList = new Map([...hard.keys()].map((k) => [k, zeroQuantity()]));
  // Matching is on spec.hard here: this is what status.hard is about to become.
  const judged = { ...quota, status: { hard: quota.spec?.hard ?? {} } };
  for (const { group, plural } of kindsOfQuota(quota)) {
    const tracked = matchingResources(group, plural, [...hard.keys()], scopes);
    for (const obj of objectsOf(group, plural)) {
      if (!quotaMatches(judged, group, plural, obj)) continue;
      used = addLists(used, maskList(usageOf(group, plural, obj, now), tracked));
    }
  }
  return resourceListToJson(maskList(used, hard.keys()));
}
