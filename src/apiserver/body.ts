/**
 * Request bodies: at most 3 MiB (413 beyond, like kube-apiserver), JSON or YAML by
 * Content-Type (415 for anything else), parse errors as 400 with the parser's message.
 */
import type { IncomingMessage } from 'node:http';
import yaml from 'js-yaml';
import { ApiError, errors } from './errors.js';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf/index.js';

export const MAX_BODY = 3 * 1024 * 1024;

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) {
    req.resume();
    throw errors.tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) {
      req.resume();
      throw errors.tooLarge();
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
}

/** Parses a body as JSON, YAML (yaml content types and apply patches) or Kubernetes protobuf. */
export function parseBody(body: Buffer | string, type: string): unknown {
  if (type === PROTOBUF_CONTENT_TYPE) {
    try {
      return decodeKubernetesProtobuf(Buffer.isBuffer(body) ? body : Buffer.from(body, 'binary'));
    } catch (err) {
      throw errors.badRequest(`error decoding protobuf body: ${(err as Error).message}`);
    }
  }
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  const isYaml = type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml';
  if (!isYaml && !type.endsWith('json')) throw errors.unsupportedMediaType(type);
  if (!text.trim()) throw errors.badRequest('the request body is empty');
  try {
    if (isYaml) return yaml.load(text, { schema: yaml.JSON_SCHEMA });
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new ApiError(400, 'BadRequest', isYaml ? `error converting YAML to JSON: yaml: ${msg}` : `couldn't get version/kind; json parse error: ${msg}`);
  }
}
