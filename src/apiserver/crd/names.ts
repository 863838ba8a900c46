/**
 * The naming check of apiextensions-apiserver's naming controller: a CRD's requested
 * names must not be in use in its group, by another CRD or a built-in kind — plural,
 * singular and short names among the resource names, kind and listKind among the kinds.
 * The first conflict found is the NamesAccepted=False reason.
 */
import type { Registry } from '../../api/registry.js';

export interface NameConflict {
  reason: 'PluralConflict' | 'SingularConflict' | 'ShortNamesConflict' | 'KindConflict' | 'ListKindConflict';
  message: string;
}

/** Names in use in group by kinds other than those of the CRD named crdName. */
function usedNames(reg: Registry, group: string, crdName: string): { names: Set<string>; kinds: Set<string> } {
  const names = new Set<string>();
  const kinds = new Set<string>();
  for (const d of reg.all()) {
    if (d.group !== group || `${d.plural}.${d.group}` === crdName) continue;
    names.add(d.plural);
    if (d.singular) names.add(d.singular);
    for (const s of d.shortNames ?? []) names.add(s);
    kinds.add(d.kind);
    kinds.add(d.listKind);
  }
  return { names, kinds };
}

export function nameConflict(reg: Registry, crd: any): NameConflict | undefined {
  const n = crd.spec?.names ?? {};
  const { names, kinds } = usedNames(reg, crd.spec?.group, crd.metadata?.name);
  const used = (v: string) => ({ message: `"${v}" is already in use` });
  if (names.has(n.plural)) return { reason: 'PluralConflict', ...used(n.plural) };
  if (n.singular && names.has(n.singular)) return { reason: 'SingularConflict', ...used(n.singular) };
  for (const s of n.shortNames ?? []) if (names.has(s)) return { reason: 'ShortNamesConflict', ...used(s) };
  if (kinds.has(n.kind)) return { reason: 'KindConflict', ...used(n.kind) };
  if (n.listKind && kinds.has(n.listKind)) return { reason: 'ListKindConflict', ...used(n.listKind) };
  return undefined;
}
