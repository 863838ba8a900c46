/**
 * Helpers for server-side printing (kubectl get columns): ages as
 * apimachinery's duration.HumanDuration prints them, and column definitions.
 */
import type { TableColumnDefinition } from '../types.js';

/** "5s", "3m20s", "10m", "5h3m", "3d4h", "400d", like duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 60 * 2) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 60 * 3) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) return `${Math.floor(h / 24 / 365)}y${Math.floor(h / 24) % 365}d`;
  return `${Math.floor(h / 24 / 365)}y`;
}

export function age(obj: any, now: Date): string {
  const t = obj?.metadata?.creationTimestamp;
  return t ? humanDuration(now.getTime() - Date.parse(t)) : '<unknown>';
}

export function col(name: string, description: string, o: { type?: TableColumnDefinition['type']; format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type: o.type ?? 'string', format: o.format ?? '', description, priority: o.priority ?? 0 };
}

export const NAME_COL = col('Name', 'Name must be unique within a namespace.', { format: 'name' });
export const AGE_COL = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));

export function labelSelectorString(sel: any): string {
  if (!sel) return '<none>';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const r of sel.matchExpressions ?? []) {
    const vals = [...(r.values ?? [])].sort().join(',');
    if (r.operator === 'In') parts.push(`${r.key} in (${vals})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${vals})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}
