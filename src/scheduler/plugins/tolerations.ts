/** Taint/toleration matching (v1 helpers ToleratesTaint / FindMatchingUntoleratedTaint). */

export function tolerates(tol: any, taint: any): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key === undefined || tol.key === '') {
    // An empty key with Exists tolerates everything.
    if ((tol.operator ?? 'Equal') !== 'Exists') return false;
    return true;
  }
  if (tol.key !== taint.key) return false;
  const op = tol.operator ?? 'Equal';
  if (op === 'Exists') return true;
  return (tol.value ?? '') === (taint.value ?? '');
}

export function toleratedByAll(tolerations: any[] | undefined, taint: any): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

/** The first taint with one of the effects that no toleration tolerates. */
export function firstUntolerated(taints: any[] | undefined, tolerations: any[] | undefined, effects: string[]): any | undefined {
  for (const t of taints ?? []) if (effects.includes(t.effect) && !toleratedByAll(tolerations, t)) return t;
  return undefined;
}
