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
