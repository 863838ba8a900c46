/**
 * The garbage collector's view of ownership: for every object seen by the informers, its
 * owner references, and for every owner uid (seen or not), the uids of its dependents.
 */

export interface ObjectRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  namespace?: string;
  name: string;
  uid: string;
}

export interface GraphNode {
  ref: ObjectRef;
  owners: any[];
}

export class OwnerGraph {
  readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  /** Records obj; returns the owner uids whose dependents changed (added or removed). */
  upsert(ref: ObjectRef, owners: any[]): string[] {
    const old = this.nodes.get(ref.uid);
    const oldOwners = new Set((old?.owners ?? []).map((o) => o.uid));
    const newOwners = new Set(owners.map((o) => o.uid));
    this.nodes.set(ref.uid, { ref, owners });
    const changed: string[] = [];
    for (const u of oldOwners) if (!newOwners.has(u)) {
      this.dependents.get(u)?.delete(ref.uid);
      changed.push(u);
    }
    for (const u of newOwners) if (!oldOwners.has(u)) {
      let s = this.dependents.get(u);
      if (!s) this.dependents.set(u, (s = new Set()));
      s.add(ref.uid);
      changed.push(u);
    }
    return changed;
  }

  remove(uid: string): GraphNode | undefined {
    const n = this.nodes.get(uid);
    if (!n) return undefined;
    this.nodes.delete(uid);
    for (const o of n.owners) this.dependents.get(o.uid)?.delete(uid);
    return n;
  }

  dependentsOf(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependents.get(uid) ?? []) {
      const n = this.nodes.get(d);
      if (n) out.push(n);
    }
    return out;
  }
}
