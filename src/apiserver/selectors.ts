/**
 * Label and field selectors in their string forms (`?labelSelector=`, `?fieldSelector=`),
 * parsed and matched as apimachinery's labels.Parse and fields.ParseSelector do:
 * equality (=, ==, !=), set-based (in, notin), existence (key, !key).
 */
import { errors } from './errors.js';

export interface Requirement {
  key: string;
  op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

export function parseLabelSelector(s: string | undefined): Requirement[] {
  const out: Requirement[] = [];
  if (!s || !s.trim()) return out;
  let i = 0;
  const src = s;
  const skipWs = () => {
    while (i < src.length && src[i] === ' ') i++;
  };
  const readKey = () => {
    skipWs();
    const m = /^[A-Za-z0-9._\/-]+/.exec(src.slice(i));
    if (!m) throw errors.badRequest(`unable to parse requirement: found '${src.slice(i, i + 1) || 'EOF'}', expected: identifier`);
    i += m[0].length;
    return m[0];
  };
  for (;;) {
    skipWs();
    if (src[i] === '!') {
      i++;
      out.push({ key: readKey(), op: '!exists', values: [] });
    } else {
      const key = readKey();
      skipWs();
      const rest = src.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^(==|=|!=)\s*/.exec(rest))) {
        i += m[0].length;
        const v = /^[A-Za-z0-9._-]*/.exec(src.slice(i))![0];
        i += v.length;
        out.push({ key, op: m[1] === '!=' ? 'neq' : 'eq', values: [v] });
      } else if ((m = /^(in|notin)\s*\(/.exec(rest))) {
        i += m[0].length;
        const close = src.indexOf(')', i);
        if (close < 0) throw errors.badRequest(`unable to parse requirement: found '', expected: ')'`);
        const values = src.slice(i, close).split(',').map((v) => v.trim()).filter((v) => v !== '');
        i = close + 1;
        out.push({ key, op: m[1] as 'in' | 'notin', values });
      } else {
        out.push({ key, op: 'exists', values: [] });
      }
    }
    skipWs();
    if (i >= src.length) break;
    if (src[i] !== ',') throw errors.badRequest(`unable to parse requirement: found '${src[i]}', expected: ',' or 'end of string'`);
    i++;
  }
  return out;
}

export function matchLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        if (!has || v !== r.values[0]) return false;
        break;
      case 'neq':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

export function parseFieldSelector(s: string | undefined, supported: (field: string) => boolean): FieldRequirement[] {
  if (!s || !s.trim()) return [];
  return s.split(',').map((part) => {
    const m = /^\s*([^!=\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    if (!supported(m[1])) throw errors.badRequest(`field label not supported: ${m[1]}`);
    return { field: m[1], value: m[3], negate: m[2] === '!=' };
  });
}
