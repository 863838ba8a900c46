/**
 * What the agent reads from the API to configure a container: ConfigMaps, Secrets and
 * Services (backed by informer listers in the agent, by plain maps in tests), and the
 * errors that stop a container from being created.
 */

type Maybe<T> = T | undefined | Promise<T | undefined>;

export interface PodConfigSource {
  /** The ConfigMap, or undefined when it does not exist. */
  getConfigMap(namespace: string, name: string): Maybe<any>;
  /** The Secret, or undefined when it does not exist. */
  getSecret(namespace: string, name: string): Maybe<any>;
  /** Services of one namespace. */
  listServices(namespace: string): any[] | Promise<any[]>;
  /** The node's allocatable resources: the downward API's default for unset limits. */
  nodeAllocatable?(): Record<string, string>;
  /** The PersistentVolumeClaim (for persistentVolumeClaim volumes), or undefined when it does not exist. */
  getPersistentVolumeClaim?(namespace: string, name: string): Maybe<any>;
  /** The PersistentVolume, or undefined when it does not exist. */
  getPersistentVolume?(name: string): Maybe<any>;
  /** A service account token for a projected serviceAccountToken source. */
  serviceAccountToken?(pod: any, req: { audience?: string; expirationSeconds: number }): Promise<string>;
}

/**
 * The container cannot be configured (missing ConfigMap, Secret or key): the kubelet
 * leaves it waiting with reason CreateContainerConfigError and this message.
 */
export class CreateContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

/** The text of the API's NotFound for an object, as the kubelet shows it. */
export const notFoundMessage = (resource: 'configmap' | 'secret', name: string) => `${resource} "${name}" not found`;

/** Secret data is base64 on the wire. */
export const secretValue = (b64: string): Buffer => Buffer.from(b64 ?? '', 'base64');

/** Whether a pod uses a ConfigMap or Secret (volumes, projected sources, env, envFrom): to resync it when the object changes. */
export function podReferences(pod: any, kind: 'configmap' | 'secret', name: string): boolean {
  const spec = pod.spec ?? {};
  for (const v of spec.volumes ?? []) {
    if (kind === 'configmap' && v.configMap?.name === name) return true;
    if (kind === 'secret' && v.secret?.secretName === name) return true;
    for (const s of v.projected?.sources ?? []) if ((kind === 'configmap' ? s.configMap : s.secret)?.name === name) return true;
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const f of c.envFrom ?? []) if ((kind === 'configmap' ? f.configMapRef : f.secretRef)?.name === name) return true;
    for (const e of c.env ?? []) if ((kind === 'configmap' ? e.valueFrom?.configMapKeyRef : e.valueFrom?.secretKeyRef)?.name === name) return true;
  }
  return false;
}
