/**
 * The garbage collector (pkg/controller/garbagecollector): deletes objects whose owners
 * are all gone (Background propagation), runs Foreground deletion (an owner with the
 * `foregroundDeletion` finalizer waits until its blocking dependents are deleted) and
 * Orphan deletion (the `orphan` finalizer: owner references to the owner are removed
 * from its dependents first). It covers every kind found by discovery, and re-checks
 * every object with owners after a start, so dependents of owners deleted while it was
 * down are still collected. Absence of an owner is confirmed with a live GET before
 * anything is deleted.
 */
import type { Clientset, InformerFactory } from '../../client/clientset.js';
import { runWorkers } from '../../client/controller.js';
import { discoverResources, type DiscoveredResource } from '../../client/discovery.js';
import { Informer } from '../../client/informer.js';
import { isNotFound, isConflict } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Logger } from '../../util/log.js';
import { OwnerGraph, type ObjectRef } from './graph.js';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
/** Kinds with no owner semantics worth tracking (high churn, never owners here). */
const SKIP = new Set(['events', 'leases']);

export class GarbageCollector {
  static readonly NAME = 'garbage-collector-controller';
  private readonly graph = new OwnerGraph();
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });
  private readonly byKind = new Map<string, DiscoveredResource>();
  private readonly informers = new Map<string, Informer<any>>();
  /** Informers of kinds found after start (custom resources), each stoppable on its own. */
  private readonly dynamic = new Map<string, AbortController>();

  constructor(private readonly ctx: { cs: Clientset; informers: InformerFactory; log: Logger; discoveryPeriodMs?: number }) {}

  private gvrKey(r: { group: string; plural: string }): string {
    return `${r.group}/${r.plural}`;
  }

  async start(signal: AbortSignal): Promise<void> {
    const resources = await this.discover();
    for (const r of resources) this.track(r, this.ctx.informers.informer(r));
    this.ctx.informers.start(signal);
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    // Owners deleted while we were not watching: every dependent whose owner is not in the graph.
    for (const n of this.graph.nodes.values()) if (n.owners.some((r) => !this.graph.nodes.has(r.uid))) this.queue.add(n.ref.uid);
    this.ctx.log.info('garbage collector synced', { resources: resources.length, objects: this.graph.nodes.size });
    // As upstream, discovery is read again every 30 s: kinds added later (CustomResourceDefinitions) are tracked too.
    const timer = setInterval(() => void this.resyncDiscovery(signal).catch((err) => this.ctx.log.error('garbage collector discovery failed', { err })), this.ctx.discoveryPeriodMs ?? 30_000);
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    await runWorkers({ name: GarbageCollector.NAME, queue: this.queue, workers: 4, log: this.ctx.log, signal, sync: (uid) => this.attemptToDelete(uid) });
  }

  private async discover(): Promise<DiscoveredResource[]> {
    return (await discoverResources(this.ctx.cs.rest)).filter((r) => r.verbs.includes('delete') && r.verbs.includes('watch') && !SKIP.has(r.plural));
  }

  /** Starts informers of kinds discovery lists now and stops those of kinds it no longer lists. */
  private async resyncDiscovery(signal: AbortSignal): Promise<void> {
    const now = await this.discover();
    const keys = new Set(now.map((r) => this.gvrKey(r)));
    for (const r of now) {
      if (this.informers.has(this.gvrKey(r))) continue;
      const stop = new AbortController();
      signal.addEventListener('abort', () => stop.abort(), { once: true });
      const inf = new Informer(this.ctx.cs.resource(r), { log: this.ctx.log.child(`informer/${r.plural}`) });
      this.dynamic.set(this.gvrKey(r), stop);
      this.track(r, inf);
      void inf.start(stop.signal);
      // Dependents (of any kind) owned by objects of the new kind get another look once it is cached.
      inf.waitForSync(stop.signal).then(
        () => {
          for (const n of this.graph.nodes.values()) if (n.owners.some((o) => !this.graph.nodes.has(o.uid))) this.queue.add(n.ref.uid);
        },
        () => undefined,
      );
      this.ctx.log.info('garbage collector tracks a new resource', { resource: `${r.plural}.${r.group}` });
    }
    for (const [k, stop] of this.dynamic) {
      if (keys.has(k)) continue;
      stop.abort();
      this.dynamic.delete(k);
      this.informers.delete(k);
    }
  }

  private track(r: DiscoveredResource, inf: Informer<any>): void {
    this.byKind.set(`${r.group}/${r.kind}`, r);
    this.informers.set(this.gvrKey(r), inf);
    const toRef = (o: any): ObjectRef => ({ group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced, namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid });
    const observe = (o: any) => {
      const owners: any[] = o.metadata.ownerReferences ?? [];
      const changed = this.graph.upsert(toRef(o), owners);
      // As upstream's graph builder: only objects being deleted, or with an owner not (or
      // no longer) in the graph, need a look; a dependent of a live owner costs nothing.
      if (o.metadata.deletionTimestamp || owners.some((r) => !this.graph.nodes.has(r.uid))) this.queue.add(o.metadata.uid);
      // An owner whose dependents changed may be waiting on them (foreground/orphan).
      for (const u of changed) if (this.graph.nodes.has(u)) this.queue.add(u);
    };
    inf.addHandlers({
      onAdd: observe,
      onUpdate: (_old, o) => observe(o),
      onDelete: (o) => {
        const n = this.graph.remove(o.metadata.uid);
        for (const d of this.graph.dependentsOf(o.metadata.uid)) this.queue.add(d.ref.uid);
        for (const owner of n?.owners ?? []) if (this.graph.nodes.has(owner.uid)) this.queue.add(owner.uid);
      },
    });
  }

  private objectOf(ref: ObjectRef): any | undefined {
    return this.informers.get(this.gvrKey(ref))?.cache.getByName(ref.namespace, ref.name);
  }

  private client(ref: { group: string; version: string; plural: string; namespaced: boolean }) {
    return this.ctx.cs.resource(ref);
  }

  /** Owner state: 'solid' exists, 'waiting' is being deleted in the foreground, 'dangling' is gone. */
  private async ownerState(dependent: ObjectRef, owner: any): Promise<'solid' | 'waiting' | 'dangling' | 'unknown'> {
    const group = String(owner.apiVersion ?? '').includes('/') ? owner.apiVersion.split('/')[0] : '';
    const r = this.byKind.get(`${group}/${owner.kind}`);
    if (!r) return 'unknown';
    const ns = r.namespaced ? dependent.namespace : undefined;
    let obj = this.graph.nodes.has(owner.uid) ? this.informers.get(this.gvrKey(r))?.cache.getByName(ns, owner.name) : undefined;
    if (!obj || obj.metadata.uid !== owner.uid) {
      // Not in the cache: ask the server, the cache may lag behind.
      try {
        obj = await this.client(r).get(ns, owner.name);
      } catch (err) {
        if (isNotFound(err)) return 'dangling';
        throw err;
      }
      if (obj.metadata.uid !== owner.uid) return 'dangling';
    }
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).includes(FOREGROUND)) return 'waiting';
    return 'solid';
  }

  private async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.nodes.get(uid);
    if (!node) return;
    const obj = this.objectOf(node.ref);
    if (!obj || obj.metadata.uid !== uid) return;
    const fins: string[] = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp) {
      if (fins.includes(ORPHAN)) await this.orphanDependents(node.ref, obj);
      else if (fins.includes(FOREGROUND)) await this.deleteDependentsInForeground(node.ref, obj);
      return;
    }
    const owners: any[] = obj.metadata.ownerReferences ?? [];
    if (!owners.length) return;
    const states = await Promise.all(owners.map((o) => this.ownerState(node.ref, o)));
    if (states.includes('unknown')) return;
    const solid = states.filter((s) => s === 'solid').length;
    if (solid > 0) {
      const stale = owners.filter((_o, i) => states[i] !== 'solid');
      if (stale.length) await this.removeOwnerRefs(node.ref, obj, stale.map((o) => o.uid));
      return;
    }
    const waitingBlocking = owners.some((o, i) => states[i] === 'waiting' && o.blockOwnerDeletion);
    const policy = waitingBlocking ? 'Foreground' : fins.includes(ORPHAN) ? 'Orphan' : fins.includes(FOREGROUND) ? 'Foreground' : 'Background';
    this.ctx.log.debug('deleting dependent with no owners left', { object: `${node.ref.plural}/${node.ref.namespace ?? ''}/${node.ref.name}`, policy });
    try {
      await this.client(node.ref).delete(node.ref.namespace, node.ref.name, { propagationPolicy: policy, preconditions: { uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async deleteDependentsInForeground(ref: ObjectRef, obj: any): Promise<void> {
    const deps = this.graph.dependentsOf(ref.uid);
    const blocking = deps.filter((d) => d.owners.some((o) => o.uid === ref.uid && o.blockOwnerDeletion));
    for (const d of deps) {
      const dobj = this.objectOf(d.ref);
      if (!dobj || dobj.metadata.deletionTimestamp) continue;
      // Dependents with no other solid owner are deleted (in the foreground themselves).
      this.queue.add(d.ref.uid);
    }
    if (blocking.length === 0) await this.removeFinalizer(ref, obj, FOREGROUND);
  }

  private async orphanDependents(ref: ObjectRef, obj: any): Promise<void> {
    for (const d of this.graph.dependentsOf(ref.uid)) {
      const dobj = this.objectOf(d.ref);
      if (dobj) await this.removeOwnerRefs(d.ref, dobj, [ref.uid]);
    }
    await this.removeFinalizer(ref, obj, ORPHAN);
  }

  private async removeOwnerRefs(ref: ObjectRef, obj: any, uids: string[]): Promise<void> {
    try {
      await this.client(ref).patch(ref.namespace, ref.name, 'strategic', { metadata: { ownerReferences: uids.map((u) => ({ $patch: 'delete', uid: u })), uid: obj.metadata.uid } });
    } catch (err) {
      if ((err as any)?.code === 415) return this.removeOwnerRefsMerge(ref, obj, uids);
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Custom resources take no strategic merge patch: the whole list, guarded by resourceVersion (a conflict retries). */
  private async removeOwnerRefsMerge(ref: ObjectRef, obj: any, uids: string[]): Promise<void> {
    const ownerReferences = (obj.metadata.ownerReferences ?? []).filter((o: any) => !uids.includes(o.uid));
    try {
      await this.client(ref).patch(ref.namespace, ref.name, 'merge', { metadata: { ownerReferences, resourceVersion: obj.metadata.resourceVersion } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async removeFinalizer(ref: ObjectRef, obj: any, finalizer: string): Promise<void> {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
    try {
      await this.client(ref).patch(ref.namespace, ref.name, 'merge', { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err; // conflict: retried with the fresh object
    }
  }
}
