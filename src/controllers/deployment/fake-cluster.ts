/**
 * Test fixture: an in-memory stand-in for the API server's deployments and replicasets
 * (resourceVersion conflicts, AlreadyExists, generation bumps on spec changes, the
 * status subresource, merge patches), a ReplicaSet controller that settles status
 * instantly, and a clock — enough to drive syncDeployment through whole rollouts.
 * Lists hand out deep-frozen copies, as informer caches must be treated as read-only.
 */
import { StatusError } from '../../client/rest.js';
import { matchesSelector, type LabelSelector } from '../../client/selector.js';
import { silentLogger } from '../../util/log.js';
import { syncDeployment } from './sync.js';
import type { Deployment, DeploymentSyncDeps, ReplicaSet } from './types.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function mergePatch(target: any, patch: any): any {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeResource {
  readonly items = new Map<string, any>();
  writes: string[] = [];
  constructor(
    private readonly cluster: FakeCluster,
    private readonly kind: string,
    /** false: the status subresource drops metadata changes (tests the annotation fallback). */
    private readonly statusKeepsAnnotations = true,
  ) {}

  private key(ns: string | undefined, name: string) {
    return `${ns}/${name}`;
  }
  private must(ns: string | undefined, name: string): any {
    const cur = this.items.get(this.key(ns, name));
    if (!cur) throw new StatusError(404, 'NotFound', `${this.kind} "${name}" not found`);
    return cur;
  }
  private store(obj: any): any {
    obj.metadata.resourceVersion = String(++this.cluster.rv);
    this.items.set(this.key(obj.metadata.namespace, obj.metadata.name), obj);
    return structuredClone(obj);
  }

  async get(ns: string | undefined, name: string) {
    return structuredClone(this.must(ns, name));
  }
  list(ns: string): any[] {
    return [...this.items.values()].filter((o) => o.metadata.namespace === ns).map((o) => deepFreeze(structuredClone(o)));
  }
  async create(obj: any) {
    const o = structuredClone(obj);
    if (this.items.has(this.key(o.metadata.namespace, o.metadata.name))) throw new StatusError(409, 'AlreadyExists', `${this.kind} "${o.metadata.name}" already exists`);
    o.metadata.uid = `uid-${o.metadata.name}-${++this.cluster.rv}`;
    o.metadata.generation = 1;
    o.metadata.creationTimestamp = new Date(this.cluster.now).toISOString().replace(/\.\d+Z$/, 'Z');
    this.cluster.now += 1000;
    o.status ??= {};
    this.writes.push(`create ${o.metadata.name}`);
    return this.store(o);
  }
  async update(obj: any) {
    const cur = this.must(obj.metadata.namespace, obj.metadata.name);
    if (obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw new StatusError(409, 'Conflict', 'the object has been modified');
    const o = structuredClone(obj);
    o.status = cur.status;
    o.metadata.generation = JSON.stringify(o.spec) === JSON.stringify(cur.spec) ? cur.metadata.generation : cur.metadata.generation + 1;
    this.writes.push(`update ${o.metadata.name}`);
    return this.store(o);
  }
  async updateStatus(obj: any) {
    const cur = this.must(obj.metadata.namespace, obj.metadata.name);
    if (obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw new StatusError(409, 'Conflict', 'the object has been modified');
    const o = structuredClone(cur);
    o.status = structuredClone(obj.status);
    if (this.statusKeepsAnnotations) o.metadata.annotations = structuredClone(obj.metadata.annotations);
    this.writes.push(`status ${o.metadata.name}`);
    return this.store(o);
  }
  async patch(ns: string | undefined, name: string, _type: string, patch: any) {
    const cur = this.must(ns, name);
    if (patch.metadata?.uid && patch.metadata.uid !== cur.metadata.uid) throw new StatusError(409, 'Conflict', 'uid mismatch');
    let o = structuredClone(cur);
    const refs = patch.metadata?.ownerReferences;
    if (Array.isArray(refs) && refs.some((r: any) => r.$patch === 'delete')) {
      const gone = new Set(refs.filter((r: any) => r.$patch === 'delete').map((r: any) => r.uid));
      o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r: any) => !gone.has(r.uid));
    } else {
      o = mergePatch(o, patch);
    }
    this.writes.push(`patch ${name}`);
    return this.store(o);
  }
  async delete(ns: string | undefined, name: string) {
    this.must(ns, name);
    this.items.delete(this.key(ns, name));
    this.writes.push(`delete ${name}`);
    return {};
  }
}

export interface FakeEvent {
  type: string;
  reason: string;
  message: string;
}

export class FakeCluster {
  rv = 0;
  /** 409s a sync hit (the work queue would retry them with backoff). */
  conflicts = 0;
  now = Date.parse('2026-01-01T00:00:00Z');
  readonly deployments: FakeResource;
  readonly replicasets = new FakeResource(this, 'replicasets');
  readonly events: FakeEvent[] = [];
  /** Pods that outlive their ReplicaSet's scale-down (e.g. terminating), per RS uid. */
  readonly lingeringPods = new Map<string, number>();
  /** Whether pods of a ReplicaSet become available when the ReplicaSet controller settles. */
  ready: (rs: ReplicaSet) => boolean = () => true;

  constructor(o: { statusKeepsAnnotations?: boolean } = {}) {
    this.deployments = new FakeResource(this, 'deployments', o.statusKeepsAnnotations ?? true);
  }

  deps(): DeploymentSyncDeps {
    return {
      deployments: this.deployments as any,
      replicasets: this.replicasets as any,
      listReplicaSets: (ns) => this.replicasets.list(ns),
      listPods: (ns, sel) => this.pods(ns, sel),
      recorder: { event: (_o, type, reason, message) => void this.events.push({ type, reason, message }) },
      now: () => this.now,
      log: silentLogger,
    };
  }

  /** Pods as the ReplicaSet controller would have them: status.replicas per RS, plus lingering ones. */
  pods(ns: string, sel: LabelSelector): any[] {
    const out: any[] = [];
    for (const rs of this.replicasets.list(ns)) {
      const n = (rs.status?.replicas ?? 0) + (this.lingeringPods.get(rs.metadata.uid) ?? 0);
      for (let i = 0; i < n; i++) {
        const labels = rs.spec.template?.metadata?.labels ?? {};
        if (!matchesSelector(sel, labels)) continue;
        out.push({ metadata: { name: `${rs.metadata.name}-${i}`, namespace: ns, labels, ownerReferences: [{ kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true }] }, status: { phase: 'Running' } });
      }
    }
    return out;
  }

  /** The ReplicaSet controller catching up: status follows spec. */
  settleReplicaSets(): boolean {
    let changed = false;
    for (const rs of this.replicasets.items.values()) {
      const n = rs.spec.replicas ?? 1;
      const avail = this.ready(rs) ? n : 0;
      const status = { ...rs.status, replicas: n, readyReplicas: avail, availableReplicas: avail, observedGeneration: rs.metadata.generation };
      if (JSON.stringify(status) === JSON.stringify(rs.status)) continue;
      rs.status = status;
      rs.metadata.resourceVersion = String(++this.rv);
      changed = true;
    }
    return changed;
  }

  async createDeployment(d: Deployment): Promise<void> {
    await this.deployments.create({ apiVersion: 'apps/v1', kind: 'Deployment', ...d });
  }

  /** A user edit (kubectl set image / scale / patch): generation bumps when the spec changes. */
  editDeployment(name: string, f: (d: Deployment) => void, ns = 'd'): void {
    const cur = this.deployments.items.get(`${ns}/${name}`);
    const before = JSON.stringify(cur.spec);
    f(cur);
    if (JSON.stringify(cur.spec) !== before) cur.metadata.generation++;
    cur.metadata.resourceVersion = String(++this.rv);
  }

  deployment(name: string, ns = 'd'): any {
    return this.deployments.items.get(`${ns}/${name}`);
  }

  rsList(ns = 'd'): ReplicaSet[] {
    return this.replicasets.list(ns);
  }

  /** One controller sync of the deployment (retrying on conflicts as the queue would). */
  async sync(name: string, ns = 'd'): Promise<{ requeueAfterMs?: number } | void> {
    const cached = this.deployments.list(ns).find((d) => d.metadata.name === name);
    return syncDeployment(this.deps(), `${ns}/${name}`, cached);
  }

  writeCount(): number {
    return this.deployments.writes.length + this.replicasets.writes.length;
  }

  /** Sync, settle, advance the clock; until nothing is written any more (or `max` rounds). */
  async converge(name: string, o: { max?: number; onRound?: () => void } = {}): Promise<number> {
    for (let i = 0; i < (o.max ?? 100); i++) {
      const before = this.writeCount();
      try {
        await this.sync(name);
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 409)) throw err;
        this.conflicts++;
      }
      const settled = this.settleReplicaSets();
      o.onRound?.();
      this.now += 1000;
      if (this.writeCount() === before && !settled) return i;
    }
    return o.max ?? 100;
  }
}
