import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resourceListToJson } from '../api/quantity.js';
import { matchingResources, podConstraints, podUsage, quotaMatches, usageOf } from './evaluators.js';
import { calculateUsage } from '../controllers/resourcequota/usage.js';

const now = new Date('2026-01-01T00:00:00Z');
const c = (name: string, requests?: any, limits?: any, extra: any = {}) => ({ name, image: 'busybox', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }, ...extra });

describe('quota evaluators', () => {
  it('pod usage: requests under requests.X and X, limits under limits.X, init containers as a max, sidecars summed', () => {
    const pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [c('a', { cpu: '250m', memory: '64Mi' }, { cpu: '500m', memory: '128Mi' }), c('b', { cpu: '250m', memory: '64Mi' }, { cpu: '500m', memory: '128Mi' })],
        initContainers: [c('init', { cpu: '2' }), c('side', { cpu: '100m' }, undefined, { restartPolicy: 'Always' })],
      },
    };
    assert.deepEqual(resourceListToJson(podUsage(pod, now)), {
      'count/pods': '1', cpu: '2', 'limits.cpu': '1', 'limits.memory': '256Mi', memory: '128Mi', pods: '1', 'requests.cpu': '2', 'requests.memory': '128Mi',
    });
  });

  it('a finished pod counts only in count/pods', () => {
    for (const phase of ['Succeeded', 'Failed']) {
      assert.deepEqual(resourceListToJson(podUsage({ metadata: {}, spec: { containers: [c('a', { cpu: '1' })] }, status: { phase } }, now)), { 'count/pods': '1' });
    }
  });

  it('object counts: legacy names for core kinds, count/<resource>.<group> for all, node ports of services', () => {
    assert.deepEqual(resourceListToJson(usageOf('', 'configmaps', {}, now)), { configmaps: '1', 'count/configmaps': '1' });
    assert.deepEqual(resourceListToJson(usageOf('apps', 'deployments', {}, now)), { 'count/deployments.apps': '1' });
    assert.deepEqual(resourceListToJson(usageOf('', 'services', { spec: { type: 'NodePort', ports: [{}, {}] } }, now)), { 'count/services': '1', services: '1', 'services.nodeports': '2' });
    assert.deepEqual(resourceListToJson(usageOf('', 'persistentvolumeclaims', { spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } }, now)), {
      'count/persistentvolumeclaims': '1', 'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1', 'fast.storageclass.storage.k8s.io/requests.storage': '1Gi', persistentvolumeclaims: '1', 'requests.storage': '1Gi',
    });
  });

  it('matching resources and scopes', () => {
    assert.deepEqual(matchingResources('', 'pods', ['pods', 'requests.cpu', 'configmaps', 'count/pods']), ['pods', 'requests.cpu', 'count/pods']);
    assert.deepEqual(matchingResources('', 'pods', ['pods', 'requests.cpu'], ['BestEffort']), ['pods']);
    const q = (scopes: string[], hard = { pods: '5' }) => ({ spec: { hard, scopes }, status: { hard } });
    const bestEffort = { spec: { containers: [c('a')] } };
    const burstable = { spec: { containers: [c('a', { cpu: '1' })] } };
    const terminating = { spec: { activeDeadlineSeconds: 30, containers: [c('a')] } };
    assert.equal(quotaMatches(q(['BestEffort']), '', 'pods', bestEffort), true);
    assert.equal(quotaMatches(q(['BestEffort']), '', 'pods', burstable), false);
    assert.equal(quotaMatches(q(['NotBestEffort']), '', 'pods', burstable), true);
    assert.equal(quotaMatches(q(['Terminating']), '', 'pods', terminating), true);
    assert.equal(quotaMatches(q(['NotTerminating']), '', 'pods', terminating), false);
    assert.equal(quotaMatches(q(['NotTerminating'], { configmaps: '1' } as any), '', 'configmaps', {}), false);
    const pcQuota = { spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }, status: { hard: { pods: '1' } } };
    assert.equal(quotaMatches(pcQuota, '', 'pods', { spec: { priorityClassName: 'high', containers: [] } }), true);
    assert.equal(quotaMatches(pcQuota, '', 'pods', { spec: { containers: [] } }), false);
  });

  it('constraints name every container missing a constrained resource', () => {
    const pod = { spec: { containers: [c('a', { cpu: '1' }), c('b')], initContainers: [c('i')] } };
    assert.equal(podConstraints(['requests.cpu', 'pods'], pod), 'must specify requests.cpu for: b,i');
    assert.equal(podConstraints(['pods', 'requests.storage'], pod), undefined);
    // limits default requests (API defaulting), so a limit alone satisfies cpu and limits.cpu
    assert.equal(podConstraints(['limits.memory'], { spec: { containers: [c('a', { cpu: '1' }, { memory: '1Gi' })] } }), undefined);
  });

  it('calculateUsage sums the covered objects and reports zero for what nothing uses', () => {
    const quota = { metadata: { name: 'q' }, spec: { hard: { pods: '10', 'requests.memory': '1Gi', 'count/deployments.apps': '2', services: '3' } } };
    const pods = [{ spec: { containers: [c('a', { memory: '64Mi' })] } }, { spec: { containers: [c('a', { memory: '64Mi' })] } }, { spec: { containers: [c('a', { memory: '512Mi' })] }, status: { phase: 'Failed' } }];
    const used = calculateUsage(quota, (g, p) => (p === 'pods' ? pods : g === 'apps' ? [{}] : []), now);
    assert.deepEqual(used, { 'count/deployments.apps': '1', pods: '2', 'requests.memory': '128Mi', services: '0' });
  });
});
