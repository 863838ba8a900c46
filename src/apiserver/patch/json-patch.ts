/**
 * RFC 6902 JSON Patch (add, remove, replace, move, copy, test) and RFC 7386 JSON Merge
 * Patch, on plain JSON values; inputs are never mutated.
 */
import { ApiError, errors } from '../errors.js';

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw errors.badRequest(`invalid JSON pointer: ${JSON.stringify(p)}`);
  return p.slice(1).split('/').map(unescape);
}

function fail(msg: string): never {
  throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${msg}`);
}

function parentOf(doc: any, path: string[]): { parent: any; key: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') fail(`doc is missing path: "/${path.join('/')}"`);
    cur = Array.isArray(cur) ? cur[Number(seg)] : cur[seg];
    if (cur === undefined) fail(`doc is missing path: "/${path.join('/')}"`);
  }
  return { parent: cur, key: path[path.length - 1] };
}

function getAt(doc: any, path: string[]): any {
  let cur = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(seg)] : cur[seg];
  }
  return cur;
}

function add(doc: any, path: string[], value: any): any {
  if (!path.length) return value;
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) fail(`add operation does not apply: index ${key} out of bounds`);
    parent.splice(i, 0, value);
  } else if (parent && typeof parent === 'object') parent[key] = value;
  else fail(`add operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return doc;
}

function remove(doc: any, path: string[]): any {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) fail(`remove operation does not apply: doc is missing path: "/${path.join('/')}"`);
    parent.splice(i, 1);
  } else if (parent && typeof parent === 'object' && key in parent) delete parent[key];
  else fail(`remove operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return doc;
}

export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out: any = structuredClone(doc);
  for (const op of patch as any[]) {
    if (!op || typeof op !== 'object' || typeof op.path !== 'string') throw errors.badRequest(`invalid JSON patch operation: ${JSON.stringify(op)}`);
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        out = add(out, path, structuredClone(op.value));
        break;
      case 'remove':
        out = remove(out, path);
        break;
      case 'replace':
        if (getAt(out, path) === undefined) fail(`replace operation does not apply: doc is missing key: /${path.join('/')}`);
        if (!path.length) out = structuredClone(op.value);
        else {
          const { parent, key } = parentOf(out, path);
          parent[Array.isArray(parent) ? Number(key) : key] = structuredClone(op.value);
        }
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(op.from ?? '');
        const v = getAt(out, from);
        if (v === undefined) fail(`${op.op} operation does not apply: doc is missing from path: ${op.from}`);
        if (op.op === 'move') out = remove(out, from);
        out = add(out, path, structuredClone(v));
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(out, path)) !== JSON.stringify(op.value)) fail(`testing value /${path.join('/')} failed: test failed`);
        break;
      default:
        throw errors.badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return out;
}

export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: any = doc && typeof doc === 'object' && !Array.isArray(doc) ? structuredClone(doc) : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
