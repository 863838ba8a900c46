/**
 * The CRD controllers kube-apiserver runs in-process (apiextensions-apiserver's naming,
 * establishing and finalizing controllers), over the store: for every
 * CustomResourceDefinition it registers a ResourceDef per served version (so the generic
 * REST handlers, discovery and OpenAPI serve it), sets acceptedNames, storedVersions and
 * the NamesAccepted and Established conditions; when a CRD is deleted it deletes every
 * custom object (Terminating: InstanceDeletionInProgress), removes the
 * customresourcecleanup finalizer, and stops serving. Runs in every API server; the
 * status writes are compare-and-swap, so several servers on one store agree.
 */
import type { Registry } from '../../api/registry.js';
import type { ResourceDef } from '../../api/types.js';
import { CLEANUP_FINALIZER, CRD_GROUP } from '../../api/builtin/apiextensions.js';
import type { Backend, WatchEvent } from '../../store/types.js';
import { decode, encode, keyPrefix, type ObjectStore } from '../object-store.js';
import { rfc3339 } from '../rest/context.js';
import { nameConflict, type NameConflict } from './names.js';
import { compareKubeVersions, customResourceDef, publishedSchema, type CrdServingState } from './custom-resource.js';

interface Served {
  defs: ResourceDef[];
  state: CrdServingState;
}

export interface CrdControllerOptions {
  registry: Registry;
  backend: Backend;
  store: ObjectStore;
  now: () => Date;
  log?: { info: (m: string, f?: any) => void; error: (m: string, f?: any) => void };
  /** Called with the kinds a CRD no longer serves (their watches end). */
  onUnserve?: (defs: ResourceDef[]) => void;
  /** How soon to look again at a CRD whose objects are still being finalized. */
  finalizeRetryMs?: number;
}

const condition = (type: string, status: string, reason: string, message: string, now: string) => ({ type, status, lastTransitionTime: now, reason, message });

export class CrdController {
  private readonly served = new Map<string, Served>();
  /** CRDs whose names are in use by another kind: looked at again when a CRD goes. */
  private readonly unaccepted = new Set<string>();
  private readonly abort = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly def: ResourceDef;

  constructor(private readonly o: CrdControllerOptions) {
    this.def = o.registry.lookup(CRD_GROUP, 'v1', 'customresourcedefinitions')!;
  }

  /** Serves every stored CRD, then follows changes. Resolves once the stored CRDs are served. */
  async start(): Promise<void> {
    const prefix = keyPrefix(this.def);
    const page = await this.o.backend.list(prefix);
    const names = page.kvs.map((kv) => kv.key.slice(prefix.length));
    for (const name of names) await this.sync(name);
    // After a watch restart: CRDs deleted meanwhile are served no more.
    for (const name of [...this.served.keys()]) if (!names.includes(name)) this.unserve(name);
    await this.o.backend.watch(
      prefix,
      { afterRevision: page.revision, signal: this.abort.signal },
      (events: WatchEvent[]) => {
        for (const name of new Set(events.map((e) => e.kv.key.slice(prefix.length)))) this.enqueue(name);
      },
      (err) => {
        if (this.abort.signal.aborted) return;
        this.o.log?.error('CRD watch ended; restarting', { err });
        this.restart();
      },
    );
  }

  private restart(): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.start().catch((err) => this.o.log?.error('CRD controller restart failed', { err }));
    }, 1000);
    this.timers.add(t);
  }

  close(): void {
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Syncs are serialized: one CRD at a time, in event order. */
  enqueue(name: string): void {
    this.chain = this.chain.then(() => this.sync(name)).catch((err) => this.o.log?.error('CRD sync failed', { name, err }));
  }

  private later(name: string): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.abort.signal.aborted) this.enqueue(name);
    }, this.o.finalizeRetryMs ?? 500);
    this.timers.add(t);
  }

  private async sync(name: string): Promise<void> {
    if (this.abort.signal.aborted) return;
    const crd = await this.o.store.tryGet(this.def, undefined, name);
    if (!crd) return this.unserve(name);
    // Names in use by another kind of the group: not accepted, not served (once
    // established, a CRD keeps its names, as upstream).
    const conflict = this.served.has(name) ? undefined : nameConflict(this.o.registry, crd);
    if (conflict) this.unaccepted.add(name);
    else {
      this.unaccepted.delete(name);
      this.serve(crd);
    }
    if (crd.metadata.deletionTimestamp) return this.finalize(crd);
    await this.writeStatus(crd, this.desiredStatus(crd, conflict));
  }

  /** Registers the served versions of crd (replacing what it served before). */
  private serve(crd: any): void {
    const name = crd.metadata.name;
    const prev = this.served.get(name);
    const state = prev?.state ?? { terminating: false };
    state.terminating = !!crd.metadata.deletionTimestamp;
    const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : crd.spec.names;
    // Registered in version priority order: discovery's preferred version is the first.
    const versions = (crd.spec.versions ?? []).filter((v: any) => v.served).sort((a: any, b: any) => compareKubeVersions(a.name, b.name));
    const defs: ResourceDef[] = versions.map((v: any) => customResourceDef(crd, v, state));
    const gone = (prev?.defs ?? []).filter((d) => !defs.some((n: ResourceDef) => n.version === d.version && n.plural === d.plural));
    for (const d of gone) this.drop(d);
    if (gone.length) this.o.onUnserve?.(gone);
    for (const v of versions) {
      this.o.registry.define(defs.find((d: ResourceDef) => d.version === v.name)!.schemaName, publishedSchema(v.schema?.openAPIV3Schema, crd.spec.group, v.name, names.kind));
    }
    for (const d of defs) this.o.registry.register(d);
    this.served.set(name, { defs, state });
  }

  private drop(d: ResourceDef): void {
    this.o.registry.unregister(d.group, d.version, d.plural);
    this.o.registry.undefine(d.schemaName);
  }

  private unserve(name: string): void {
    const s = this.served.get(name);
    if (!s) return;
    for (const d of s.defs) this.drop(d);
    this.served.delete(name);
    this.o.onUnserve?.(s.defs);
    this.o.log?.info('custom resources no longer served', { crd: name });
    // Names it held may be free now for a CRD that asked for them.
    for (const other of this.unaccepted) this.enqueue(other);
  }

  private desiredStatus(crd: any, conflict?: NameConflict): any {
    const now = rfc3339(this.o.now());
    const status = structuredClone(crd.status ?? {});
    const names = crd.spec.names;
    if (!conflict) status.acceptedNames = { plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind, ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}), ...(names.categories?.length ? { categories: names.categories } : {}) };
    const conds: any[] = status.conditions ?? [];
    const set = (c: any) => {
      const old = conds.find((x) => x.type === c.type);
      if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) return;
      const i = conds.indexOf(old);
      if (old && old.status === c.status) c.lastTransitionTime = old.lastTransitionTime;
      if (i >= 0) conds[i] = c;
      else conds.push(c);
    };
    if (conflict) {
      status.acceptedNames ??= { plural: '', kind: '' };
      set(condition('NamesAccepted', 'False', conflict.reason, conflict.message, now));
      set(condition('Established', 'False', 'NotAccepted', 'not all names are accepted', now));
    } else {
      set(condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', now));
      set(condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', now));
    }
    status.conditions = conds;
    const storage = (crd.spec.versions ?? []).find((v: any) => v.storage)?.name;
    const stored: string[] = status.storedVersions ?? [];
    if (storage && !stored.includes(storage)) stored.push(storage);
    status.storedVersions = stored;
    return status;
  }

  /** Writes status if it changed; a conflicting write is left to the next event. */
  private async writeStatus(crd: any, status: any): Promise<any | undefined> {
    if (JSON.stringify(status) === JSON.stringify(crd.status ?? {})) return crd;
    const next = { ...crd, status };
    try {
      return await this.o.store.update(this.def, next, Number(crd.metadata.resourceVersion));
    } catch (err) {
      if ((err as any)?.reason === 'Conflict' || (err as any)?.code === 404) return undefined;
      throw err;
    }
  }

  /** Deletes every custom object of a deleted CRD, then lets the CRD go. */
  private async finalize(crd: any): Promise<void> {
    if (!(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
    const now = rfc3339(this.o.now());
    let status = structuredClone(crd.status ?? {});
    status.conditions = [...(status.conditions ?? []).filter((c: any) => c.type !== 'Terminating'), condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress', now)];
    const prevTerm = (crd.status?.conditions ?? []).find((c: any) => c.type === 'Terminating');
    if (prevTerm?.reason === 'InstanceDeletionInProgress') status = crd.status;
    const cur = await this.writeStatus(crd, status);
    if (!cur) return;
    const remaining = await this.deleteObjects(cur);
    if (remaining > 0) return this.later(crd.metadata.name);
    // Every object is gone: drop the finalizer (the CRD goes with its last finalizer).
    const fins = (cur.metadata.finalizers ?? []).filter((f: string) => f !== CLEANUP_FINALIZER);
    try {
      if (fins.length) await this.o.store.update(this.def, { ...cur, metadata: { ...cur.metadata, finalizers: fins } }, Number(cur.metadata.resourceVersion));
      else await this.o.store.delete(this.def, undefined, cur.metadata.name, Number(cur.metadata.resourceVersion));
    } catch (err) {
      if ((err as any)?.reason === 'Conflict') return this.later(crd.metadata.name);
      if ((err as any)?.code !== 404) throw err;
    }
    this.unserve(cur.metadata.name);
  }

  /**
   * Deletes the CRD's objects (in every namespace): those without finalizers at once,
   * the others marked for deletion so their controllers can finish. Returns how many are left.
   */
  private async deleteObjects(crd: any): Promise<number> {
    // The storage of the accepted names, served or not; a CRD whose names were never
    // accepted has no objects (and must not touch another kind's).
    const plural = crd.status?.acceptedNames?.plural || (this.served.has(crd.metadata.name) ? crd.spec.names.plural : undefined);
    if (!plural) return 0;
    const page = await this.o.backend.list(keyPrefix({ group: crd.spec.group, plural, namespaced: false } as ResourceDef));
    let left = 0;
    for (const kv of page.kvs) {
      const obj = decode(kv);
      const m = obj.metadata;
      try {
        if ((m.finalizers ?? []).length) {
          left++;
          if (!m.deletionTimestamp) {
            m.deletionTimestamp = rfc3339(this.o.now());
            m.deletionGracePeriodSeconds = 0;
            await this.o.backend.update(kv.key, encode(obj), kv.modRevision);
          }
        } else await this.o.backend.delete(kv.key, kv.modRevision);
      } catch {
        left++;
      }
    }
    return left;
  }
}
