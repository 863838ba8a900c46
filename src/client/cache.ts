/**
 * The informer's local cache of objects, keyed `namespace/name` (or `name` for
 * cluster-scoped kinds) with a namespace index; listers read from it. Objects in the
 * cache are shared and must be treated as read-only (clone before changing).
 */
import { matchesSelector, type LabelSelector } from './selector.js';

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class ObjectCache<T extends { metadata?: any }> {
  private readonly items = new Map<string, T>();
  private readonly byNs = new Map<string, Map<string, T>>();

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    const ns = obj.metadata?.namespace ?? '';
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    m.set(key, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    const ns = old.metadata?.namespace ?? '';
    this.byNs.get(ns)?.delete(key);
    return old;
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  /** Objects, optionally of one namespace and matching a label selector. */
  list(namespace?: string, selector?: LabelSelector): T[] {
    const src = namespace === undefined ? this.items.values() : (this.byNs.get(namespace)?.values() ?? [].values());
    const out: T[] = [];
    for (const o of src) if (!selector || matchesSelector(selector, o.metadata?.labels)) out.push(o);
    return out;
  }
}
