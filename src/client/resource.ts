/**
 * A typed handle on one resource (group/version/plural): get, list, create, update,
 * updateStatus, patch, delete and watch, with Kubernetes' URL layout.
 */
import { createInterface } from 'node:readline';
import type { RestClient } from './rest.js';
import { StatusError } from './rest.js';

export interface GVR {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchEvent<T = any> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal: AbortSignal;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';
const PATCH_CT: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export class ResourceClient<T extends { metadata?: any } = any> {
  constructor(
    private readonly rest: RestClient,
    readonly gvr: GVR,
    private readonly fieldManager = 'skiff',
  ) {}

  path(namespace?: string, name?: string, sub?: string): string {
    const base = this.gvr.group ? `/apis/${this.gvr.group}/${this.gvr.version}` : `/api/${this.gvr.version}`;
    let p = base;
    if (this.gvr.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${this.gvr.plural}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (sub) p += `/${sub}`;
    return p;
  }

  get(namespace: string | undefined, name: string): Promise<T> {
    return this.rest.request(this.path(namespace, name));
  }

  list(namespace?: string, o: ListOptions = {}): Promise<{ metadata: { resourceVersion: string; continue?: string }; items: T[] }> {
    return this.rest.request(this.path(namespace), { query: { ...o } });
  }

  create(obj: T, o: { dryRun?: boolean } = {}): Promise<T> {
    return this.rest.request(this.path(obj.metadata?.namespace), { method: 'POST', body: obj, query: { fieldManager: this.fieldManager, dryRun: o.dryRun ? 'All' : undefined } });
  }

  update(obj: T): Promise<T> {
    return this.rest.request(this.path(obj.metadata?.namespace, obj.metadata.name), { method: 'PUT', body: obj, query: { fieldManager: this.fieldManager } });
  }

  updateStatus(obj: T): Promise<T> {
    return this.rest.request(this.path(obj.metadata?.namespace, obj.metadata.name, 'status'), { method: 'PUT', body: obj, query: { fieldManager: this.fieldManager } });
  }

  patch(namespace: string | undefined, name: string, type: PatchType, patch: unknown, o: { subresource?: string; force?: boolean } = {}): Promise<T> {
    return this.rest.request(this.path(namespace, name, o.subresource), {
      method: 'PATCH',
      body: patch,
      contentType: PATCH_CT[type],
      query: { fieldManager: this.fieldManager, force: o.force ? 'true' : undefined },
    });
  }

  delete(namespace: string | undefined, name: string, o: DeleteOptions = {}): Promise<any> {
    return this.rest.request(this.path(namespace, name), { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', ...o } });
  }

  /**
   * Streams watch events until the server ends the watch, the signal aborts, or an ERROR
   * event arrives (thrown as StatusError, e.g. 410 Expired). Resolves when the stream ends.
   */
  async watch(namespace: string | undefined, o: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<void> {
    const { signal, ...q } = o;
    const res = await this.rest.raw(this.path(namespace), { query: { ...q, watch: 'true' }, signal });
    if ((res.statusCode ?? 0) >= 300) {
      let text = '';
      for await (const c of res) text += c;
      let st: any;
      try {
        st = JSON.parse(text);
      } catch {
        st = undefined;
      }
      throw new StatusError(res.statusCode ?? 0, st?.reason ?? '', st?.message ?? text, st);
    }
    const rl = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of rl) {
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as WatchEvent<T>;
        if (ev.type === 'ERROR') {
          const st: any = ev.object;
          throw new StatusError(st?.code ?? 500, st?.reason ?? '', st?.message ?? 'watch error', st);
        }
        onEvent(ev);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      rl.close();
      res.destroy();
    }
  }
}
