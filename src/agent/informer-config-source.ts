/**
 * The agent's PodConfigSource backed by the shared informers (as the kubelet's
 * watch-based ConfigMap/Secret managers and Service lister): reads wait until the
 * informer has listed once, so a missing object is really missing (or until `signal`
 * aborts, so a stopping agent is never stuck waiting).
 */
import type { Clientset, InformerFactory } from '../client/clientset.js';
import { isNotFound } from '../client/rest.js';
import type { PodConfigSource } from './config-source.js';

export function informerConfigSource(informers: InformerFactory, nodeAllocatable: () => Record<string, string>, signal?: AbortSignal): PodConfigSource {
  const get = async (resource: 'configmaps' | 'secrets', ns: string, name: string) => {
    const inf = informers.informer(resource);
    await inf.waitForSync(signal);
    return inf.cache.getByName(ns, name);
  };
  return {
    getConfigMap: (ns, name) => get('configmaps', ns, name),
    getSecret: (ns, name) => get('secrets', ns, name),
    listServices: async (ns) => {
      const inf = informers.informer('services');
      await inf.waitForSync(signal);
      return inf.cache.list(ns);
    },
    nodeAllocatable,
  };
}

/**
 * Claims and volumes are read from the API when a pod's volumes are set up (as the
 * kubelet's volume manager GETs them), not watched: a node needs only its pods' few.
 */
export function claimSource(cs: Clientset): Pick<PodConfigSource, 'getPersistentVolumeClaim' | 'getPersistentVolume'> {
  const orUndefined = async (p: Promise<any>) => {
    try {
      return await p;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    getPersistentVolumeClaim: (ns, name) => orUndefined(cs.resource('persistentvolumeclaims').get(ns, name)),
    getPersistentVolume: (name) => orUndefined(cs.resource('persistentvolumes').get(undefined, name)),
  };
}
