/** A label selector in its string form (the Scale's status.selector) as a matcher: `a=b,c!=d,e in (f,g),!h,i`. */
export function parseLabelSelectorString(s: string): (labels: Record<string, string>) => boolean {
  const reqs: ((l: Record<string, string>) => boolean)[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(raw))) {
      const [, k, op, vs] = m;
      const set = new Set(vs.split(',').map((v) => v.trim()).filter(Boolean));
      reqs.push(op === 'in' ? (l) => k in l && set.has(l[k]) : (l) => !(k in l) || !set.has(l[k]));
    } else if ((m = /^(\S+?)\s*!=\s*(\S*)$/.exec(raw))) {
      const [, k, v] = m;
      reqs.push((l) => l[k] !== v);
    } else if ((m = /^(\S+?)\s*==?\s*(\S*)$/.exec(raw))) {
      const [, k, v] = m;
      reqs.push((l) => l[k] === v);
    } else if ((m = /^!(\S+)$/.exec(raw))) {
      const k = m[1];
      reqs.push((l) => !(k in l));
    } else {
      const k = raw;
      reqs.push((l) => k in l);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}
