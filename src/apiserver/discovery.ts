/**
 * Discovery: /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version>, and the
 * aggregated form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that kubectl 1.30+ asks
 * for first. Both are derived from the registry, so a new kind is discoverable at once.
 */
import { createHash } from 'node:crypto';
import type { Registry } from '../api/registry.js';
import type { ResourceDef } from '../api/types.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64').slice(0, 11);
}

interface Sub {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

function subresourcesOf(def: ResourceDef): Sub[] {
  const out: Sub[] = [];
  if (def.subresources?.status) out.push({ name: 'status', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (def.subresources?.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
  if (def.plural === 'pods' && !def.group) {
    out.push({ name: 'binding', kind: 'Binding', verbs: ['create'] });
    out.push({ name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  }
  if (def.plural === 'serviceaccounts' && !def.group) out.push({ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
  if (def.plural === 'namespaces' && !def.group) out.push({ name: 'finalize', kind: 'Namespace', verbs: ['update'] });
  return out;
}

export function apiVersions(serverAddress: string): any {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function preferred(versions: string[]): string {
  return versions[0];
}

export function apiGroupList(reg: Registry): any {
  const groups = [...reg.groups()].filter(([g]) => g !== '').sort(([a], [b]) => a.localeCompare(b));
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(([name, versions]) => apiGroup(name, versions)),
  };
}

export function apiGroup(name: string, versions: string[]): any {
  const p = preferred(versions);
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${p}`, version: p } };
}

export function apiResourceList(reg: Registry, group: string, version: string): any | undefined {
  const defs = reg.all().filter((d) => d.group === group && d.version === version);
  if (!defs.length) return undefined;
  const resources: any[] = [];
  for (const d of defs.sort((a, b) => a.plural.localeCompare(b.plural))) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs ?? ALL_VERBS,
      ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
      ...(d.categories?.length ? { categories: d.categories } : {}),
      storageVersionHash: hash(`${group}/${version}/${d.kind}`),
    });
    for (const s of subresourcesOf(d)) {
      resources.push({ name: `${d.plural}/${s.name}`, singularName: '', namespaced: d.namespaced, ...(s.group ? { group: s.group, version: s.version } : {}), kind: s.kind, verbs: s.verbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** APIGroupDiscoveryList for /api (legacy core group) or /apis (every named group). */
export function aggregated(reg: Registry, legacy: boolean, apiVersion: string): any {
  const groups = [...reg.groups()].filter(([g]) => (legacy ? g === '' : g !== '')).sort(([a], [b]) => a.localeCompare(b));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion,
    metadata: {},
    items: groups.map(([name, versions]) => ({
      metadata: { name, ...(name === '' ? {} : {}) },
      versions: versions.map((v) => ({
        version: v,
        resources: reg
          .all()
          .filter((d) => d.group === name && d.version === v)
          .sort((a, b) => a.plural.localeCompare(b.plural))
          .map((d) => ({
            resource: d.plural,
            responseKind: { group: name, version: v, kind: d.kind },
            scope: d.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: d.singular,
            verbs: d.verbs ?? ALL_VERBS,
            ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
            ...(d.categories?.length ? { categories: d.categories } : {}),
            ...(subresourcesOf(d).length
              ? { subresources: subresourcesOf(d).map((s) => ({ subresource: s.name, responseKind: { group: s.group ?? name, version: s.version ?? v, kind: s.kind }, verbs: s.verbs })) }
              : {}),
          })),
        freshness: 'Current',
      })),
    })),
  };
}

/** Which aggregated discovery version the client accepts, if any (v2 first). */
export function wantsAggregated(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const p = part.replace(/\s/g, '');
    if (p.includes('as=APIGroupDiscoveryList') && p.includes('g=apidiscovery.k8s.io')) {
      if (p.includes('v=v2beta1')) return 'v2beta1';
      if (p.includes('v=v2')) return 'v2';
    }
  }
  return undefined;
}
