/**
 * Registry credentials from a pod's imagePullSecrets, as the kubelet's keyring reads
 * them: kubernetes.io/dockerconfigjson ({"auths": {server: {...}}}) and the older
 * kubernetes.io/dockercfg ({server: {...}}) Secrets, matched to an image by its
 * registry host (docker.io for names without one).
 */
import type { ContainerConfig } from './runtime/types.js';

export type PullAuth = NonNullable<ContainerConfig['pullAuth']>[number];

/** The registry host of an image reference (docker.io when the first part is not a host). */
export function registryOf(image: string): string {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

/** A credential's server key as a bare host (https://index.docker.io/v1/ → docker.io). */
function hostOf(server: string): string {
  const h = server.replace(/^[a-z]+:\/\//, '').split('/')[0];
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

export function pullAuthFromSecrets(secrets: any[]): PullAuth[] {
  const out: PullAuth[] = [];
  for (const s of secrets) {
    const raw = s?.data?.['.dockerconfigjson'] ?? s?.data?.['.dockercfg'];
    if (!raw) continue;
    let parsed: any;
    try {
      parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
    } catch {
      continue;
    }
    const auths = s.data['.dockerconfigjson'] ? parsed.auths : parsed;
    for (const [server, a] of Object.entries<any>(auths ?? {})) {
      let { username, password } = a ?? {};
      if ((!username || !password) && a?.auth) [username, password] = Buffer.from(a.auth, 'base64').toString('utf8').split(/:(.*)/s);
      out.push({ server: hostOf(server), username, password, auth: a?.auth });
    }
  }
  return out;
}

/** The credentials that apply to an image (those for its registry host). */
export function authsForImage(image: string, auths: PullAuth[] | undefined): PullAuth[] {
  const host = registryOf(image);
  return (auths ?? []).filter((a) => a.server === host);
}
