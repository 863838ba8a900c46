/**
 * The agent's service-account token provider, as the kubelet's token manager asks for
 * tokens: a TokenRequest (POST serviceaccounts/<sa>/token) for the pod's ServiceAccount,
 * bound to the pod (name and uid), with the projection's audience (none: the API
 * server's own) and expirationSeconds. Caching and refresh at 80% of the lifetime live
 * with the projected volume (volumes/payloads.ts); the agent resyncs pods with token
 * volumes every minute so refreshed tokens land before the old ones expire.
 */
import type { Clientset } from '../client/clientset.js';
import type { PodConfigSource } from './config-source.js';

export type ServiceAccountTokenProvider = NonNullable<PodConfigSource['serviceAccountToken']>;

export function tokenRequestProvider(cs: Clientset): ServiceAccountTokenProvider {
  return async (pod, req) => {
    const ns = pod.metadata.namespace;
    const sa = pod.spec?.serviceAccountName || 'default';
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: req.audience ? [req.audience] : [],
        expirationSeconds: req.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    };
    const path = cs.resource('serviceaccounts').path(ns, sa, 'token');
    const res: any = await cs.rest.request(path, { method: 'POST', body });
    const token = res?.status?.token;
    if (typeof token !== 'string' || !token) throw new Error(`failed to fetch token: no token in the TokenRequest response for ${ns}/${sa}`);
    return token;
  };
}

/** Whether a pod has a projected serviceAccountToken source (its volume needs periodic refresh). */
export function hasTokenVolume(pod: any): boolean {
  return (pod.spec?.volumes ?? []).some((v: any) => (v.projected?.sources ?? []).some((s: any) => s?.serviceAccountToken));
}
