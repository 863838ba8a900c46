/** A small builder for ResourceDefs, so each built-in kind is a short declaration. */
import type { ResourceDef } from '../types.js';
import { AGE_COL, NAME_COL, age } from './printing.js';

type Spec = Omit<ResourceDef, 'listKind' | 'singular' | 'columns' | 'row' | 'schemaName'> & {
  listKind?: string;
  singular?: string;
  schemaName?: string;
  /** Columns between Name and Age (Age is appended unless ageLast is false). */
  columns?: ResourceDef['columns'];
  cells?: (obj: any, now: Date) => unknown[];
  /** Wide (-o wide) columns after Age. */
  wide?: ResourceDef['columns'];
  /** How many of the first `wide` columns print without -o wide too (priority 0 after Age, as a node's VERSION). */
  wideShownByDefault?: number;
  wideCells?: (obj: any, now: Date) => unknown[];
  noAge?: boolean;
  /** The kind's columns say where its name goes (events: a wide NAME last), so no leading NAME. */
  noName?: boolean;
};

const GROUP_PKG: Record<string, string> = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  batch: 'io.k8s.api.batch',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  'events.k8s.io': 'io.k8s.api.events',
  'scheduling.k8s.io': 'io.k8s.api.scheduling',
  'discovery.k8s.io': 'io.k8s.api.discovery',
  policy: 'io.k8s.api.policy',
  'storage.k8s.io': 'io.k8s.api.storage',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'authorization.k8s.io': 'io.k8s.api.authorization',
  'metrics.k8s.io': 'io.k8s.metrics.pkg.apis.metrics',
  autoscaling: 'io.k8s.api.autoscaling',
};

export function kind(s: Spec): ResourceDef {
  const columns = [...(s.noName ? [] : [NAME_COL]), ...(s.columns ?? []), ...(s.noAge ? [] : [AGE_COL]), ...(s.wide ?? []).map((c, i) => ({ ...c, priority: i < (s.wideShownByDefault ?? 0) ? 0 : 1 }))];
  return {
    ...s,
    listKind: s.listKind ?? `${s.kind}List`,
    singular: s.singular ?? s.kind.toLowerCase(),
    schemaName: s.schemaName ?? `${GROUP_PKG[s.group] ?? s.group}.${s.version}.${s.kind}`,
    columns,
    row: (obj: any, now: Date) => [...(s.noName ? [] : [obj.metadata?.name]), ...(s.cells?.(obj, now) ?? []), ...(s.noAge ? [] : [age(obj, now)]), ...(s.wideCells?.(obj, now) ?? [])],
  };
}
