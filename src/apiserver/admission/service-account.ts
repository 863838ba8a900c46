/**
 * The ServiceAccount admission plugin, as upstream's: a new pod runs as
 * spec.serviceAccountName (default `default`, mirrored into the deprecated
 * spec.serviceAccount), takes the ServiceAccount's imagePullSecrets when it has none,
 * and unless automountServiceAccountToken is false (pod first, then ServiceAccount) gets
 * the projected `kube-api-access-<5>` volume (bound token, kube-root-ca.crt, namespace)
 * mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every
 * container and init container that does not already mount something there.
 *
 * A pod naming a ServiceAccount that does not exist is refused with upstream's 403. One
 * deliberate difference: a missing `default` ServiceAccount is let through, since the
 * ServiceAccount controller creates it moments after the namespace; upstream refuses
 * such a pod and relies on its client (controllers, kubectl users) retrying.
 */
import type { Registry } from '../../api/registry.js';
import { ApiError } from '../errors.js';
import type { ObjectStore } from '../object-store.js';

export const API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const API_ACCESS_VOLUME_PREFIX = 'kube-api-access-';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** The projected volume source upstream's plugin adds (the kubelet extends the token's 3607 s). */
export function tokenVolumeSource(): any {
  return {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  };
}

function forbidden(pod: any, why: string): ApiError {
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? '';
  return new ApiError(403, 'Forbidden', `pods "${name}" is forbidden: ${why}`, { name, kind: 'pods' });
}

export async function admitPodServiceAccount(reg: Registry, store: ObjectStore, pod: any, suffix: () => string): Promise<void> {
  const spec = (pod.spec ??= {});
  // Mirror pods (static pods' API copies) are the kubelet's; upstream leaves them be.
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  const name = spec.serviceAccountName || spec.serviceAccount || 'default';
  spec.serviceAccountName = name;
  spec.serviceAccount = name;
  const def = reg.lookup('', 'v1', 'serviceaccounts')!;
  const sa = await store.tryGet(def, pod.metadata.namespace, name);
  if (!sa && name !== 'default') throw forbidden(pod, `error looking up service account ${pod.metadata.namespace}/${name}: serviceaccount "${name}" not found`);
  if (!(spec.imagePullSecrets ?? []).length && (sa?.imagePullSecrets ?? []).length) spec.imagePullSecrets = structuredClone(sa.imagePullSecrets);
  const automount = spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
  if (automount) mountServiceAccountToken(pod, suffix);
}

/** Adds the kube-api-access volume (once) and its mount to every container without one at the token path. */
export function mountServiceAccountToken(pod: any, suffix: () => string): void {
  const spec = pod.spec;
  const volumes: any[] = (spec.volumes ??= []);
  const existing = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith(API_ACCESS_VOLUME_PREFIX));
  let volumeName = existing?.name;
  if (!volumeName) {
    const taken = new Set(volumes.map((v) => v?.name));
    do volumeName = API_ACCESS_VOLUME_PREFIX + suffix();
    while (taken.has(volumeName));
  }
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const mounts: any[] = (c.volumeMounts ??= []);
    if (mounts.some((m) => m?.mountPath === API_TOKEN_MOUNT_PATH)) continue;
    mounts.push({ name: volumeName, readOnly: true, mountPath: API_TOKEN_MOUNT_PATH });
    needed = true;
  }
  if (!existing && needed) volumes.push({ name: volumeName, projected: tokenVolumeSource() });
  if (!volumes.length) delete spec.volumes;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) if (!c.volumeMounts.length) delete c.volumeMounts;
}
