import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry } from '../../api/index.js';
import { validatePodSpec } from '../../api/builtin/pod-validation.js';
import { MemoryBackend } from '../../store/memory.js';
import { ObjectStore } from '../object-store.js';
import { admitLimitRanger, applyLimitRangeDefaults, claimLimitViolations, podLimitViolations } from './limit-ranger.js';

const lr = (...limits: any[]) => ({ spec: { limits } });
const pod = (...containers: any[]) => ({ metadata: { name: 'p' }, spec: { containers } });

describe('LimitRanger', () => {
  it('fills missing defaults and records them in the annotation, containers then init containers', () => {
    const p: any = pod({ name: 'a' }, { name: 'b', resources: { requests: { cpu: '50m' }, limits: { cpu: '200m' } } });
    p.spec.initContainers = [{ name: 'i' }];
    applyLimitRangeDefaults(p, lr({ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }));
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.deepEqual(p.spec.containers[1].resources, { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '128Mi' } });
    assert.equal(
      p.metadata.annotations['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu, memory request for container a; cpu, memory limit for container a; memory request for container b; memory limit for container b; cpu, memory request for init container i; cpu, memory limit for init container i',
    );
  });

  it('reports min, max and ratio violations with upstream messages', () => {
    const range = lr({ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } });
    assert.deepEqual(podLimitViolations(pod({ name: 'a', resources: { requests: { cpu: '500m', memory: '32Mi' }, limits: { cpu: '2' } } }), range), [
      'minimum memory usage per Container is 64Mi, but request is 32Mi',
      'maximum cpu usage per Container is 1, but limit is 2',
      'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    ]);
    assert.deepEqual(podLimitViolations(pod({ name: 'a' }), lr({ type: 'Container', max: { cpu: '1' } })), ['maximum cpu usage per Container is 1.  No limit is specified']);
    assert.deepEqual(podLimitViolations(pod({ name: 'a', resources: { requests: { cpu: '1' }, limits: { cpu: '1' } } }, { name: 'b', resources: { requests: { cpu: '1' }, limits: { cpu: '1' } } }), lr({ type: 'Pod', max: { cpu: '1500m' } })), [
      'maximum cpu usage per Pod is 1500m, but limit is 2',
    ]);
    assert.deepEqual(podLimitViolations(pod({ name: 'a', resources: { requests: { cpu: '500m' }, limits: { cpu: '1' } } }), range), ['minimum memory usage per Container is 64Mi.  No request is specified']);
  });

  it('checks a claim against min and max storage', () => {
    const range = lr({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } });
    assert.deepEqual(claimLimitViolations({ spec: { resources: { requests: { storage: '5Gi' } } } }, range), ['maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi']);
    assert.deepEqual(claimLimitViolations({ spec: { resources: { requests: { storage: '500Mi' } } } }, range), ['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
  });

  it('refuses with 403 listing every violation, and with 422 when a default limit falls below a stated request', async () => {
    const reg = buildRegistry();
    const store = new ObjectStore(new MemoryBackend());
    await store.create(reg.lookup('', 'v1', 'limitranges')!, { metadata: { name: 'lr', namespace: 'ns' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '500m' }, max: { cpu: '1', memory: '1Gi' } }] } });
    const p = (name: string, resources: any) => ({ metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'busybox', resources }] } });
    await assert.rejects(admitLimitRanger(reg, store, 'pods', p('big', { limits: { cpu: '2', memory: '2Gi' } })), (e: any) => {
      assert.equal(e.code, 403);
      assert.equal(e.message, 'pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]');
      return true;
    });
    await assert.rejects(admitLimitRanger(reg, store, 'pods', p('conflict', { requests: { cpu: '700m' } })), (e: any) => {
      assert.equal(e.code, 422);
      assert.match(e.message, /^Pod "conflict" is invalid: spec\.containers\[0\]\.resources\.requests: Invalid value: "700m": must be less than or equal to cpu limit of 500m/);
      return true;
    });
  });

  it('pod validation refuses a request above its limit, as upstream', () => {
    const errs = validatePodSpec({ containers: [{ name: 'c', image: 'busybox', resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } }] }, 'spec');
    assert.deepEqual(errs.map((e) => [e.field, e.value, e.detail]), [['spec.containers[0].resources.requests', '2Gi', 'must be less than or equal to memory limit of 1Gi']]);
  });
});
