/**
 * Discovery: every resource the server serves (from /api/v1 and /apis/<g>/<v>), with its
 * verbs and scope. The garbage collector and the namespace controller use it to cover
 * every kind, not a fixed list.
 */
import type { GVR } from './resource.js';
import type { RestClient } from './rest.js';

export interface DiscoveredResource extends GVR {
  kind: string;
  verbs: string[];
}

export async function discoverResources(rest: RestClient): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  const add = (group: string, version: string, list: any) => {
    for (const r of list?.resources ?? []) {
      if (String(r.name).includes('/')) continue; // subresources
      out.push({ group, version, plural: r.name, namespaced: !!r.namespaced, kind: r.kind, verbs: r.verbs ?? [] });
    }
  };
  add('', 'v1', await rest.request('/api/v1'));
  const groups = await rest.request('/apis');
  for (const g of groups?.groups ?? []) {
    const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (!v) continue;
    add(g.name, v, await rest.request(`/apis/${g.name}/${v}`));
  }
  return out;
}
