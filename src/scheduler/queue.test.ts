import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulingQueue } from './queue.js';
import { buildProfiles, ConfigError } from './profile.js';

const pod = (name: string, priority = 0) => ({ metadata: { name, namespace: 'd', uid: name }, spec: { priority } });

describe('SchedulingQueue', () => {
  it('pops higher priority first, then by arrival', async () => {
    let t = 0;
    const q = new SchedulingQueue(() => t++);
    q.add('d/a', pod('a'));
    q.add('d/b', pod('b', 10));
    q.add('d/c', pod('c'));
    assert.equal((await q.pop())!.key, 'd/b');
    assert.equal((await q.pop())!.key, 'd/a');
    assert.equal((await q.pop())!.key, 'd/c');
    q.close();
  });

  it('parks unschedulable pods until a cluster event, then backs them off', async () => {
    let now = 1000;
    const q = new SchedulingQueue(() => now);
    q.add('d/a', pod('a'));
    const a = (await q.pop())!;
    q.requeue(a, { unschedulable: true });
    assert.deepEqual(q.pendingCount, { active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff();
    assert.deepEqual(q.pendingCount, { active: 0, backoff: 1, unschedulable: 0 });
    q.close();
  });
});

describe('profiles', () => {
  it('builds the default profile with upstream weights and honours enable/disable', () => {
    const h = { nodes: () => [], nodeInfo: () => undefined, priorityClassValue: () => undefined } as any;
    const def = buildProfiles(undefined, h).get('default-scheduler')!;
    assert.deepEqual(def.plugins.filter.map((p) => p.name), ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeRestrictions', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity']);
    assert.equal(def.plugins.score.find((s) => s.plugin.name === 'TaintToleration')!.weight, 3);
    const custom = buildProfiles(
      {
        apiVersion: 'kubescheduler.config.k8s.io/v1',
        kind: 'KubeSchedulerConfiguration',
        profiles: [{ schedulerName: 'packer', plugins: { score: { disabled: [{ name: '*' }], enabled: [{ name: 'NodeResourcesFit', weight: 5 }] } }, pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }] }],
      },
      h,
    ).get('packer')!;
    assert.deepEqual(custom.plugins.score.map((s) => [s.plugin.name, s.weight]), [['NodeResourcesFit', 5]]);
    assert.throws(() => buildProfiles({ profiles: [{ plugins: { filter: { enabled: [{ name: 'Nope' }] } } }] }, h), ConfigError);
  });
});
