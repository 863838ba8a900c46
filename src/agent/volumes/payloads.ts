/**
 * The files of configMap, secret, downwardAPI and projected volumes (the kubelet's
 * MakePayload functions): all keys or only `items`, each with `mode` or the volume's
 * `defaultMode` (0644), optional sources that may be missing, and upstream's errors.
 */
import { notFoundMessage, secretValue, type PodConfigSource } from '../config-source.js';
import { podContainerResourceValue, podFieldValue, type PodAddresses } from '../downward-api.js';
import type { FileProjection } from './atomic-writer.js';

export const DEFAULT_MODE = 0o644;

export type Payload = Map<string, FileProjection>;

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** Keys of a ConfigMap or Secret to files; `what` names the kind in errors. */
function keysPayload(data: Record<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, what: 'configmap' | 'secret', out: Payload): void {
  if (!items?.length) {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new Error(what === 'configmap' ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`);
    }
    out.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
}

function configMapData(cm: any): Record<string, Buffer> {
  const d: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries<string>(cm.data ?? {})) d[k] = Buffer.from(v);
  for (const [k, v] of Object.entries<string>(cm.binaryData ?? {})) d[k] = Buffer.from(v, 'base64');
  return d;
}

function secretData(s: any): Record<string, Buffer> {
  const d: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries<string>(s.data ?? {})) d[k] = secretValue(v);
  for (const [k, v] of Object.entries<string>(s.stringData ?? {})) d[k] ??= Buffer.from(v);
  return d;
}

export async function configMapPayload(pod: any, src: { name: string; items?: KeyToPath[]; optional?: boolean }, defaultMode: number, cs: PodConfigSource, out: Payload = new Map()): Promise<Payload> {
  const cm = await cs.getConfigMap(pod.metadata.namespace, src.name);
  if (!cm) {
    if (src.optional) return out;
    throw new Error(notFoundMessage('configmap', src.name));
  }
  keysPayload(configMapData(cm), src.items, defaultMode, !!src.optional, 'configmap', out);
  return out;
}

export async function secretPayload(pod: any, src: { name: string; items?: KeyToPath[]; optional?: boolean }, defaultMode: number, cs: PodConfigSource, out: Payload = new Map()): Promise<Payload> {
  const s = await cs.getSecret(pod.metadata.namespace, src.name);
  if (!s) {
    if (src.optional) return out;
    throw new Error(notFoundMessage('secret', src.name));
  }
  keysPayload(secretData(s), src.items, defaultMode, !!src.optional, 'secret', out);
  return out;
}

export function downwardAPIPayload(pod: any, items: any[] | undefined, defaultMode: number, addr: PodAddresses, nodeAllocatable: Record<string, string>, out: Payload = new Map()): Payload {
  for (const it of items ?? []) {
    let value: string;
    if (it.fieldRef) value = podFieldValue(pod, it.fieldRef.fieldPath, addr);
    else if (it.resourceFieldRef) value = podContainerResourceValue(it.resourceFieldRef, pod, undefined, nodeAllocatable);
    else continue;
    out.set(it.path, { data: Buffer.from(value), mode: it.mode ?? defaultMode });
  }
  return out;
}

/**
 * Service account tokens are fetched once and reused until 80% of their lifetime (at
 * most 24 h) has passed, as the kubelet's token manager does, so refreshing a projected
 * volume does not ask for a new token every time.
 */
const tokenCaches = new WeakMap<PodConfigSource, Map<string, { token: string; refreshAt: number }>>();

async function cachedToken(pod: any, req: { audience?: string; expirationSeconds: number }, cs: PodConfigSource): Promise<string> {
  if (!cs.serviceAccountToken) throw new Error('failed to fetch token: service account tokens are not available on this node');
  let cache = tokenCaches.get(cs);
  if (!cache) tokenCaches.set(cs, (cache = new Map()));
  const key = `${pod.metadata.uid}/${pod.spec?.serviceAccountName ?? 'default'}/${req.audience ?? ''}/${req.expirationSeconds}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.refreshAt > now) return hit.token;
  const token = await cs.serviceAccountToken(pod, req);
  cache.set(key, { token, refreshAt: now + Math.min(0.8 * req.expirationSeconds, 24 * 3600) * 1000 });
  for (const [k, v] of cache) if (v.refreshAt <= now) cache.delete(k); // forget pods long gone
  return token;
}

/** A projected volume: every source's files in one directory (later sources win). */
export async function projectedPayload(pod: any, vol: any, cs: PodConfigSource, addr: PodAddresses): Promise<Payload> {
  const defaultMode: number = vol.defaultMode ?? DEFAULT_MODE;
  const out: Payload = new Map();
  for (const s of vol.sources ?? []) {
    if (s.configMap) await configMapPayload(pod, s.configMap, defaultMode, cs, out);
    else if (s.secret) await secretPayload(pod, s.secret, defaultMode, cs, out);
    else if (s.downwardAPI) downwardAPIPayload(pod, s.downwardAPI.items, defaultMode, addr, cs.nodeAllocatable?.() ?? {}, out);
    else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      const token = await cachedToken(pod, { audience: t.audience, expirationSeconds: t.expirationSeconds ?? 3600 }, cs);
      out.set(t.path, { data: Buffer.from(token), mode: defaultMode });
    }
  }
  return out;
}
