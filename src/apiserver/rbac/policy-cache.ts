/**
 * Roles, ClusterRoles and their bindings as the RBAC authorizer reads them: a cache kept by
 * one list+watch of the store's rbac.authorization.k8s.io keys (upstream uses informers),
 * with bindings indexed by namespace and subject ("u:<user>", "g:<group>"; a ServiceAccount
 * subject is the user system:serviceaccount:<ns>:<name>), so a decision looks only at the
 * cluster bindings and the request namespace's bindings of the user and of its groups. Until the first list is loaded, callers wait on ready().
 * A watch that ends (compaction while behind) relists and swaps in the new state.
 */
import type { Backend, WatchEvent } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { PolicyRule } from './rules.js';

const PREFIX = '/registry/rbac.authorization.k8s.io/';

export interface BindingEntry {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** RoleBindings only. */
  namespace?: string;
  roleRef: { kind: string; name: string };
  /** The subject (as written) that put this entry under its index key. */
  subject: { kind: string; name: string; namespace?: string };
}

interface State {
  roles: Map<string, PolicyRule[]>;
  clusterRoles: Map<string, any>;
  /** Subject key → binding entries; storage key → the subject keys it was indexed under. */
  bySubject: Map<string, BindingEntry[]>;
  keysOf: Map<string, string[]>;
}

const emptyState = (): State => ({ roles: new Map(), clusterRoles: new Map(), bySubject: new Map(), keysOf: new Map() });

export function subjectKey(s: { kind?: string; name?: string; namespace?: string }, bindingNamespace?: string): string | undefined {
  if (s.kind === 'User') return `u:${s.name}`;
  if (s.kind === 'Group') return `g:${s.name}`;
  if (s.kind === 'ServiceAccount') return `u:system:serviceaccount:${s.namespace || bindingNamespace || ''}:${s.name}`;
  return undefined;
}

/** Index key of a binding's subject: RoleBindings under their namespace, ClusterRoleBindings under none. */
export const indexKey = (namespace: string | undefined, subject: string) => `${namespace ?? ''}\x00${subject}`;

export class PolicyCache {
  private state = emptyState();
  private readonly ac = new AbortController();
  private loaded?: Promise<void>;
  private synced = false;
  /** Called after every change (the aggregation of ClusterRoles is elsewhere: a controller). */
  onChange?: () => void;

  constructor(
    private readonly backend: Backend,
    private readonly log?: Logger,
  ) {}

  /** Resolves once the cache holds the store's policy (immediately after the first time). */
  ready(): Promise<void> | undefined {
    if (this.synced) return undefined;
    this.loaded ??= this.start().catch((err) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  /** The bindings of a subject key: ClusterRoleBindings (namespace undefined) or the RoleBindings of one namespace. */
  bindingsFor(namespace: string | undefined, key: string): readonly BindingEntry[] {
    return this.state.bySubject.get(indexKey(namespace, key)) ?? [];
  }

  role(namespace: string, name: string): PolicyRule[] | undefined {
    return this.state.roles.get(`${namespace}/${name}`);
  }

  clusterRole(name: string): any | undefined {
    return this.state.clusterRoles.get(name);
  }

  private async start(): Promise<void> {
    const list = await this.backend.list(PREFIX);
    const next = emptyState();
    for (const kv of list.kvs) apply(next, 'create', kv.key, kv.value);
    this.state = next;
    this.synced = true;
    this.onChange?.();
    await this.backend.watch(
      PREFIX,
      { afterRevision: list.revision, signal: this.ac.signal },
      (events: WatchEvent[]) => {
        for (const e of events) apply(this.state, e.type, e.kv.key, e.kv.value);
        this.onChange?.();
      },
      (err) => {
        if (this.ac.signal.aborted) return;
        this.log?.debug('rbac policy watch ended; relisting', { err });
        this.relist();
      },
    );
  }

  /** Loads the policy again (retrying each second), answering from the old state meanwhile. */
  private relist(): void {
    if (this.ac.signal.aborted) return;
    this.start().catch((err) => {
      this.log?.warn('rbac policy relist failed; retrying', { err });
      setTimeout(() => this.relist(), 1000).unref();
    });
  }

  close(): void {
    this.ac.abort();
  }
}

function unindex(s: State, key: string): void {
  for (const k of s.keysOf.get(key) ?? []) {
    const list = s.bySubject.get(k);
    if (!list) continue;
    const rest = list.filter((e) => (e as any).key !== key);
    if (rest.length) s.bySubject.set(k, rest);
    else s.bySubject.delete(k);
  }
  s.keysOf.delete(key);
}

function apply(s: State, type: WatchEvent['type'], key: string, value: string): void {
  const [plural, a, b] = key.slice(PREFIX.length).split('/');
  if (plural === 'rolebindings' || plural === 'clusterrolebindings') unindex(s, key);
  if (type === 'delete') {
    if (plural === 'roles') s.roles.delete(`${a}/${b}`);
    else if (plural === 'clusterroles') s.clusterRoles.delete(a);
    return;
  }
  let obj: any;
  try {
    obj = JSON.parse(value);
  } catch {
    return;
  }
  if (plural === 'roles') s.roles.set(`${a}/${b}`, obj.rules ?? []);
  else if (plural === 'clusterroles') s.clusterRoles.set(a, obj);
  else if (plural === 'rolebindings' || plural === 'clusterrolebindings') {
    const namespaced = plural === 'rolebindings';
    const keys: string[] = [];
    for (const sub of obj.subjects ?? []) {
      const sk = subjectKey(sub, namespaced ? a : undefined);
      if (!sk) continue;
      const k = indexKey(namespaced ? a : undefined, sk);
      const entry: BindingEntry & { key: string } = { key, kind: namespaced ? 'RoleBinding' : 'ClusterRoleBinding', name: namespaced ? b : a, namespace: namespaced ? a : undefined, roleRef: { kind: obj.roleRef?.kind, name: obj.roleRef?.name }, subject: sub };
      const list = s.bySubject.get(k);
      // Lists are replaced, never mutated: a decision iterating one is unaffected.
      s.bySubject.set(k, list ? [...list, entry] : [entry]);
      keys.push(k);
    }
    s.keysOf.set(key, keys);
  }
}
