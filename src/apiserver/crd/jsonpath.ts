/**
 * The JSONPath subset additionalPrinterColumns use (client-go's jsonpath without the
 * braces): `.spec.replicas`, `.items[0].name`, `.items[*].name`, `['dotted.key']`, and
 * filters such as `.status.conditions[?(@.type=="Ready")].status`.
 */

type Step = { key: string } | { index: number } | { all: true } | { filter: { path: string[]; op: '==' | '!='; value: unknown } | { path: string[]; exists: true } };

export class JsonPathError extends Error {}

function parseFilter(expr: string): Step {
  const m = /^@((?:\.[\w-]+)+)\s*(==|!=)\s*(.+)$/.exec(expr.trim());
  if (m) {
    const raw = m[3].trim();
    let value: unknown;
    if (/^["'].*["']$/.test(raw)) value = raw.slice(1, -1);
    else if (raw === 'true' || raw === 'false') value = raw === 'true';
    else if (!Number.isNaN(Number(raw))) value = Number(raw);
    else throw new JsonPathError(`unrecognized filter value ${raw}`);
    return { filter: { path: m[1].slice(1).split('.'), op: m[2] as '==' | '!=', value } };
  }
  const e = /^@((?:\.[\w-]+)+)$/.exec(expr.trim());
  if (e) return { filter: { path: e[1].slice(1).split('.'), exists: true } };
  throw new JsonPathError(`unrecognized filter ${expr}`);
}

export function parseJsonPath(path: string): Step[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  if (p.startsWith('$')) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === '.') {
      const m = /^\.([^.[\]]+)/.exec(p.slice(i));
      if (!m) throw new JsonPathError(`invalid path ${path}`);
      steps.push({ key: m[1] });
      i += m[0].length;
    } else if (p[i] === '[') {
      const end = p.indexOf(']', p.startsWith('[?(', i) ? p.indexOf(')]', i) : i);
      if (end < 0) throw new JsonPathError(`unterminated [ in ${path}`);
      const inner = p.slice(i + 1, end);
      if (inner === '*') steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ key: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else throw new JsonPathError(`invalid array index ${inner}`);
      i = end + 1;
    } else throw new JsonPathError(`invalid path ${path}`);
  }
  return steps;
}

const get = (v: any, path: string[]) => path.reduce((x, k) => (x && typeof x === 'object' ? x[k] : undefined), v);

/** Every value the path selects (none when a step finds nothing). */
export function evalJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ('key' in s) {
        if (v && typeof v === 'object' && !Array.isArray(v) && (v as any)[s.key] !== undefined) next.push((v as any)[s.key]);
      } else if ('index' in s) {
        if (Array.isArray(v)) {
          const x = v[s.index < 0 ? v.length + s.index : s.index];
          if (x !== undefined) next.push(x);
        }
      } else if ('all' in s) {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === 'object') next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        const f = s.filter;
        for (const x of v) {
          const got = get(x, f.path);
          if ('exists' in f ? got !== undefined : (got === f.value) === (f.op === '==')) next.push(x);
        }
      }
    }
    cur = next;
  }
  return cur;
}
