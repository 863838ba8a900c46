/** What every REST handler gets: the request, its parsed path and query, the kind, and shared services. */
import type { PresenceCache } from '../admission/presence-cache.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '../../api/registry.js';
import type { ResourceDef } from '../../api/types.js';
import type { ObjectStore } from '../object-store.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../handler.js';
import type { OutputFormat } from './respond.js';
import type { WatchRegistry } from './watch.js';
import type { ServiceAllocation } from '../allocation/service-allocation.js';
import type { NamespaceCache } from '../namespace-cache.js';
import type { RbacAuthorizer } from '../rbac/authorizer.js';

export interface ServerServices {
  registry: Registry;
  store: ObjectStore;
  now: () => Date;
  watches: WatchRegistry;
  /** ClusterIP and NodePort allocation for Services (absent: Services get none). */
  serviceAllocation?: ServiceAllocation;
  /** Namespaces known active (NamespaceLifecycle's cache); absent in unit fixtures. */
  namespaces?: NamespaceCache;
  /** Namespaces holding ResourceQuotas / LimitRanges, so admission skips the store where there are none. */
  admissionCaches?: { quotas: PresenceCache; limitRanges: PresenceCache };
  /** The RBAC authorizer, for escalation checks on RBAC writes (absent: no authorization). */
  authorizer?: RbacAuthorizer;
}

export interface RequestContext extends ServerServices {
  req: IncomingMessage;
  res: ServerResponse;
  user: UserInfo;
  info: RequestInfo;
  def: ResourceDef;
  query: URLSearchParams;
  format: OutputFormat;
  /** Warning headers to send (fieldValidation=Warn and the like). */
  warnings: string[];
}

export function isDryRun(q: URLSearchParams): boolean {
  return q.getAll('dryRun').includes('All');
}

/** Field manager for non-apply writes: ?fieldManager, else the User-Agent's program name (as upstream). */
export function fieldManager(ctx: RequestContext): string {
  const fm = ctx.query.get('fieldManager');
  if (fm) return fm;
  const ua = String(ctx.req.headers['user-agent'] ?? 'unknown');
  return ua.split('/')[0].slice(0, 128) || 'unknown';
}

export const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');
