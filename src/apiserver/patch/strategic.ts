/**
 * Strategic merge patch, as kubectl's client-side apply and `kubectl patch --type
 * strategic` send it: lists with a patch merge key (containers by name, ports by
 * containerPort, ...) merge item by item; primitive lists with strategy merge take the
 * union; other lists are replaced. Directives: `$patch: replace|delete|merge` (in maps
 * and list items), `$retainKeys`, `$setElementOrder/<field>`,
 * `$deleteFromPrimitiveList/<field>`; null deletes a field. Merge keys and strategies come
 * from the OpenAPI schema's x-kubernetes-patch-* extensions, with Kubernetes' well-known
 * fields as a fallback where a schema is missing.
 */
import type { Registry } from '../../api/registry.js';
import type { JSONSchema } from '../../api/types.js';

interface FieldMeta {
  strategy?: string;
  mergeKey?: string;
  schema?: JSONSchema;
}

/** Kubernetes' merge keys for fields of built-in kinds, used when no schema says. */
const WELL_KNOWN: Record<string, FieldMeta> = {
  containers: { strategy: 'merge', mergeKey: 'name' },
  initContainers: { strategy: 'merge', mergeKey: 'name' },
  ephemeralContainers: { strategy: 'merge', mergeKey: 'name' },
  env: { strategy: 'merge', mergeKey: 'name' },
  volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
  volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
  imagePullSecrets: { strategy: 'merge', mergeKey: 'name' },
  conditions: { strategy: 'merge', mergeKey: 'type' },
  ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
  finalizers: { strategy: 'merge' },
  hostAliases: { strategy: 'merge', mergeKey: 'ip' },
  topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey' },
  readinessGates: { strategy: 'merge', mergeKey: 'conditionType' },
  resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  taints: { strategy: 'merge', mergeKey: 'key' },
  podCIDRs: { strategy: 'merge' },
  addresses: { strategy: 'merge', mergeKey: 'type' },
};

class Nav {
  constructor(
    private readonly reg: Registry | undefined,
    readonly schema: JSONSchema | undefined,
  ) {}

  field(name: string, sample: unknown): FieldMeta {
    const s = this.reg?.resolve(this.schema);
    const prop = s?.properties?.[name] ?? (typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (prop) {
      const r = this.reg!.resolve(prop) ?? prop;
      const strategy = prop['x-kubernetes-patch-strategy'] ?? r['x-kubernetes-patch-strategy'];
      const mergeKey = prop['x-kubernetes-patch-merge-key'] ?? r['x-kubernetes-patch-merge-key'];
      return { strategy, mergeKey, schema: r };
    }
    const wk = WELL_KNOWN[name];
    if (name === 'ports' && Array.isArray(sample)) {
      const first = sample.find((x) => x && typeof x === 'object');
      return { strategy: 'merge', mergeKey: first && 'containerPort' in first ? 'containerPort' : 'port' };
    }
    return wk ?? {};
  }

  child(meta: FieldMeta): Nav {
    return new Nav(this.reg, meta.schema);
  }

  items(meta: FieldMeta): Nav {
    const s = meta.schema ? this.reg?.resolve(meta.schema.items) : undefined;
    return new Nav(this.reg, s);
  }
}

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const strip = (o: Record<string, any>) => {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(o)) if (k !== '$patch' && k !== '$retainKeys' && !k.startsWith('$setElementOrder/') && !k.startsWith('$deleteFromPrimitiveList/')) out[k] = v;
  return out;
};

function mergeMap(orig: any, patch: Record<string, any>, nav: Nav): any {
  if (patch.$patch === 'replace') return stripDeep(strip(patch));
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, any> = isObj(orig) ? { ...orig } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const meta = nav.field(k, v);
    if (Array.isArray(v)) out[k] = mergeList(out[k], v, meta, nav.items(meta));
    else if (isObj(v)) {
      const merged = mergeMap(out[k], v, nav.child(meta));
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f])) out[f] = out[f].filter((x: unknown) => !(v as unknown[]).includes(x));
    } else if (k.startsWith('$setElementOrder/')) {
      const f = k.slice('$setElementOrder/'.length);
      if (Array.isArray(out[f])) out[f] = order(out[f], v as unknown[], nav.field(f, out[f]).mergeKey);
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  }
  return out;
}

function stripDeep(v: any): any {
  if (Array.isArray(v)) return v.map(stripDeep);
  if (isObj(v)) {
    const o: Record<string, any> = {};
    for (const [k, x] of Object.entries(strip(v))) o[k] = stripDeep(x);
    return o;
  }
  return v;
}

/** Reorders merged items to follow the patch's $setElementOrder; items not listed keep their place after. */
function order(list: any[], wanted: unknown[], mergeKey?: string): any[] {
  const keyOf = (x: any) => JSON.stringify(mergeKey && isObj(x) ? x[mergeKey] : x);
  const pos = new Map(wanted.map((w, i) => [keyOf(w), i]));
  return [...list].sort((a, b) => (pos.get(keyOf(a)) ?? Infinity) - (pos.get(keyOf(b)) ?? Infinity));
}

function mergeList(orig: any, patch: any[], meta: FieldMeta, itemNav: Nav): any[] {
  const strategy = meta.strategy ?? '';
  if (!strategy.includes('merge')) return stripDeep(patch.filter((x) => !(isObj(x) && x.$patch)));
  if (patch.some((x) => isObj(x) && x.$patch === 'replace')) return stripDeep(patch.filter((x) => !(isObj(x) && x.$patch === 'replace')));
  const base: any[] = Array.isArray(orig) ? [...orig] : [];
  const key = meta.mergeKey;
  if (!key) {
    // Primitive list with merge strategy: union, in order.
    for (const v of patch) if (!base.some((b) => JSON.stringify(b) === JSON.stringify(v))) base.push(v);
    return base;
  }
  for (const item of patch) {
    if (!isObj(item)) continue;
    const i = base.findIndex((b) => isObj(b) && b[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) base.splice(i, 1);
      continue;
    }
    if (i >= 0) base[i] = mergeMap(base[i], item, itemNav);
    else base.push(mergeMap(undefined, item, itemNav));
  }
  return base;
}

export function applyStrategicMergePatch(reg: Registry | undefined, schemaName: string, doc: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const nav = new Nav(reg, reg?.definitions.get(schemaName));
  return mergeMap(structuredClone(doc), patch, nav);
}
