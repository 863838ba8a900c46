/**
 * Test fixtures for the deployment controller's tests: a defaulted Deployment with a
 * given strategy, and ReplicaSets with given sizes, availability and creation order.
 */
import type { DefaultedDeployment, IntOrString, ReplicaSet } from './types.js';
import { withDefaults } from './util.js';

export function dep(replicas: number, surge: IntOrString = '25%', unavailable: IntOrString = '25%', type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate'): DefaultedDeployment {
  return withDefaults({
    metadata: { name: 'web', namespace: 'd', uid: 'dep-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      strategy: type === 'Recreate' ? { type } : { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
    },
  });
}

let seq = 0;
export function rs(name: string, replicas: number, available = replicas, o: { created?: string; annotations?: Record<string, string> } = {}): ReplicaSet {
  seq++;
  return {
    metadata: { name, namespace: 'd', uid: `uid-${name}`, creationTimestamp: o.created ?? new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), annotations: o.annotations, generation: 1 },
    spec: { replicas },
    status: { replicas, availableReplicas: available, readyReplicas: available, observedGeneration: 1 },
  };
}
