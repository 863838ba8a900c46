/**
 * The registry of kinds (ResourceDef) and of schema definitions (OpenAPI components),
 * shared by the API server, discovery, OpenAPI publishing and the patch machinery.
 */
import type { JSONSchema, ResourceDef } from './types.js';
import { gvrKey } from './types.js';

export class Registry {
  private readonly byGvr = new Map<string, ResourceDef>();
  private readonly byGvk = new Map<string, ResourceDef>();
  /** OpenAPI component schemas by definition name (io.k8s.api.core.v1.Pod, ...). */
  readonly definitions = new Map<string, JSONSchema>();
  /** Bumped whenever kinds are added or removed at run time (CRDs), for caches of derived documents. */
  generation = 0;

  register(def: ResourceDef): void {
    this.byGvr.set(gvrKey(def.group, def.version, def.plural), def);
    this.byGvk.set(`${def.group}/${def.version}/${def.kind}`, def);
    this.generation++;
  }

  /** Removes a kind registered at run time (a custom resource version no longer served). */
  unregister(group: string, version: string, plural: string): void {
    const def = this.byGvr.get(gvrKey(group, version, plural));
    if (!def) return;
    this.byGvr.delete(gvrKey(group, version, plural));
    if (this.byGvk.get(`${group}/${version}/${def.kind}`) === def) this.byGvk.delete(`${group}/${version}/${def.kind}`);
    this.generation++;
  }

  define(name: string, schema: JSONSchema): void {
    this.definitions.set(name, schema);
    this.generation++;
  }

  /** Removes a definition registered at run time (a custom kind no longer served). */
  undefine(name: string): void {
    if (this.definitions.delete(name)) this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byGvr.get(gvrKey(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): ResourceDef | undefined {
    return this.byGvk.get(`${group}/${version}/${kind}`);
  }

  all(): ResourceDef[] {
    return [...this.byGvr.values()];
  }

  /** Group → versions served (preferred first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.byGvr.values()) {
      const vs = out.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      out.set(d.group, vs);
    }
    return out;
  }

  /** Follows $ref (and single-element allOf) to the schema it names. */
  resolve(schema: JSONSchema | undefined): JSONSchema | undefined {
    let s = schema;
    for (let i = 0; s && i < 16; i++) {
      if (s.$ref) {
        s = this.definitions.get(s.$ref.replace(/^#\/(components\/schemas|definitions)\//, ''));
      } else if (s.allOf && s.allOf.length === 1 && !s.properties && !s.type) {
        s = s.allOf[0];
      } else {
        return s;
      }
    }
    return s;
  }

  /** Schema of the kind (resolved). */
  schemaOf(def: ResourceDef): JSONSchema | undefined {
    return this.definitions.get(def.schemaName);
  }
}
