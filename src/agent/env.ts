/**
 * A container's environment as the kubelet builds it (makeEnvironmentVariables):
 *   1. envFrom sources in order (ConfigMap / Secret data, optional prefix). Every key is
 *      passed as it is: since Kubernetes 1.30 (RelaxedEnvironmentVariableValidation,
 *      kubernetes#123385) the kubelet no longer skips keys that are not C-style names nor
 *      records InvalidEnvironmentVariableNames events (kubernetes#130099);
 *   2. env entries in order: `value` with `$(VAR)` expanded against what is defined so far
 *      and the service variables; `valueFrom` (fieldRef, resourceFieldRef,
 *      configMapKeyRef, secretKeyRef) never expanded;
 *   3. the service variables not already defined.
 * A missing ConfigMap, Secret or key that is not optional is a CreateContainerConfigError.
 */
import { CreateContainerConfigError, notFoundMessage, secretValue, type PodConfigSource } from './config-source.js';
import { containerResourceValue, podContainerResourceValue, podFieldValue, type PodAddresses } from './downward-api.js';
import { expand, mappingFuncFor } from './expansion.js';
import { serviceEnvFor } from './service-env.js';

export interface EnvVar {
  name: string;
  value: string;
}

export async function resolveEnv(pod: any, container: any, src: PodConfigSource, addr: PodAddresses = {}): Promise<EnvVar[]> {
  const ns: string = pod.metadata.namespace;
  const enableLinks = pod.spec?.enableServiceLinks !== false;
  const [nsServices, masterServices] = await Promise.all([src.listServices(ns), ns === 'default' ? [] : src.listServices('default')]);
  const serviceEnv = serviceEnvFor(ns, enableLinks, nsServices, ns === 'default' ? nsServices : masterServices);
  const env = new Map<string, string>();
  const mapping = mappingFuncFor(env, serviceEnv);

  // One read per object per container, as the kubelet caches them while building env.
  const configMaps = new Map<string, any>();
  const secrets = new Map<string, any>();
  const getCM = async (name: string) => {
    if (!configMaps.has(name)) configMaps.set(name, (await src.getConfigMap(ns, name)) ?? null);
    return configMaps.get(name);
  };
  const getSecret = async (name: string) => {
    if (!secrets.has(name)) secrets.set(name, (await src.getSecret(ns, name)) ?? null);
    return secrets.get(name);
  };

  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? '';
    const isCM = !!from.configMapRef;
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const obj = isCM ? await getCM(ref.name) : await getSecret(ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw new CreateContainerConfigError(notFoundMessage(isCM ? 'configmap' : 'secret', ref.name));
    }
    // Only `data`: binaryData of a ConfigMap never becomes environment.
    for (const [k, v] of Object.entries<string>(obj.data ?? {})) env.set(prefix + k, isCM ? v : secretValue(v).toString('utf8'));
  }

  for (const e of container.env ?? []) {
    let value: string = e.value ?? '';
    const vf = e.valueFrom;
    if (value !== '') value = expand(value, mapping);
    else if (vf?.fieldRef) value = podFieldValue(pod, vf.fieldRef.fieldPath, addr);
    else if (vf?.resourceFieldRef) {
      const alloc = src.nodeAllocatable?.() ?? {};
      value = vf.resourceFieldRef.containerName ? podContainerResourceValue(vf.resourceFieldRef, pod, container, alloc) : containerResourceValue(vf.resourceFieldRef, container, alloc);
    } else if (vf?.configMapKeyRef || vf?.secretKeyRef) {
      const isCM = !!vf.configMapKeyRef;
      const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
      const kind = isCM ? 'configmap' : 'secret';
      const obj = isCM ? await getCM(ref.name) : await getSecret(ref.name);
      if (!obj) {
        if (ref.optional) continue;
        throw new CreateContainerConfigError(notFoundMessage(kind, ref.name));
      }
      const raw: string | undefined = obj.data?.[ref.key];
      if (raw === undefined) {
        if (ref.optional) continue;
        throw new CreateContainerConfigError(`couldn't find key ${ref.key} in ${isCM ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}`);
      }
      value = isCM ? raw : secretValue(raw).toString('utf8');
    }
    env.set(e.name, value);
  }

  for (const [k, v] of serviceEnv) if (!env.has(k)) env.set(k, v);
  return [...env].map(([name, value]) => ({ name, value }));
}

/** command and args with `$(VAR)` expanded against the container's final environment. */
export function expandCommand(words: string[] | undefined, env: EnvVar[]): string[] | undefined {
  if (!words) return undefined;
  const mapping = mappingFuncFor(new Map(env.map((e) => [e.name, e.value])));
  return words.map((w) => expand(w, mapping));
}
