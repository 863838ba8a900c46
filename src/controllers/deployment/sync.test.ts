import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCluster } from './fake-cluster.js';
import { computeHash } from './revision.js';
import type { Deployment, ReplicaSet } from './types.js';

const REV = 'deployment.kubernetes.io/revision';

function web(o: { replicas?: number; image?: string; strategy?: Deployment['spec']['strategy']; revisionHistoryLimit?: number; progressDeadlineSeconds?: number } = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'd' },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'busybox', image: o.image ?? 'busybox:1.36' }] } },
      strategy: o.strategy,
      revisionHistoryLimit: o.revisionHistoryLimit,
      progressDeadlineSeconds: o.progressDeadlineSeconds,
    },
  };
}

const image = (rs: ReplicaSet) => (rs.spec.template!.spec as any).containers[0].image;
const byImage = (c: FakeCluster) => Object.fromEntries(c.rsList().map((rs) => [image(rs), rs]));
const cond = (c: FakeCluster, type: string) => (c.deployment('web').status.conditions ?? []).find((x: any) => x.type === type);
const setImage = (c: FakeCluster, img: string) => c.editDeployment('web', (d) => ((d.spec.template.spec as any).containers[0].image = img));

async function created(o: Parameters<typeof web>[0] = {}, cluster = new FakeCluster()): Promise<FakeCluster> {
  await cluster.createDeployment(web(o));
  await cluster.converge('web');
  return cluster;
}

describe('syncDeployment: first rollout', () => {
  it('creates <name>-<hash> at full size with revision 1 and reports a complete rollout', async () => {
    const c = await created();
    const [rs] = c.rsList();
    const d = c.deployment('web');
    const hash = computeHash(d.spec.template);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec.replicas, 3);
    assert.equal(rs.metadata.annotations![REV], '1');
    assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/max-replicas'], '4');
    assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(d.metadata.annotations[REV], '1');
    assert.deepEqual(
      { ...d.status, conditions: undefined },
      { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: undefined },
    );
    assert.equal(cond(c, 'Available').reason, 'MinimumReplicasAvailable');
    assert.equal(cond(c, 'Progressing').reason, 'NewReplicaSetAvailable');
    assert.deepEqual(c.events[0], { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} from 0 to 3` });
  });
  it('writes nothing once converged', async () => {
    const c = await created();
    const before = c.writeCount();
    await c.sync('web');
    assert.equal(c.writeCount(), before);
  });
  it('sets the revision with a metadata patch when the status subresource drops annotations', async () => {
    const c = await created({}, new FakeCluster({ statusKeepsAnnotations: false }));
    assert.equal(c.deployment('web').metadata.annotations[REV], '1');
  });
});

describe('syncDeployment: rolling update, rollback, history', () => {
  it('rolls to a new template within maxSurge/maxUnavailable and bumps the revision', async () => {
    const c = await created({ replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    setImage(c, 'busybox:1.37');
    let maxTotal = 0;
    let minAvail = Infinity;
    await c.converge('web', {
      onRound: () => {
        const all = c.rsList();
        maxTotal = Math.max(maxTotal, all.reduce((n, r) => n + (r.spec.replicas ?? 0), 0));
        minAvail = Math.min(minAvail, all.reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0));
      },
    });
    const rs = byImage(c);
    assert.equal(rs['busybox:1.37'].spec.replicas, 10);
    assert.equal(rs['busybox:1.36'].spec.replicas, 0);
    assert.equal(rs['busybox:1.37'].metadata.annotations![REV], '2');
    assert.equal(c.deployment('web').metadata.annotations[REV], '2');
    assert.ok(maxTotal <= 13, `total ${maxTotal}`);
    assert.ok(minAvail >= 8, `available ${minAvail}`);
    const st = c.deployment('web').status;
    assert.deepEqual([st.observedGeneration, st.replicas, st.updatedReplicas, st.availableReplicas], [2, 10, 10, 10]);
    assert.ok(c.events.some((e) => /^Scaled down replica set web-\w+ to 8 from 10$/.test(e.message)));
    assert.equal(c.conflicts, 0, 'no sync trips over its own writes');
  });
  it('rollout undo: the old ReplicaSet becomes the new one with the next revision and revision-history', async () => {
    const c = await created();
    const original = structuredClone(c.deployment('web').spec.template);
    setImage(c, 'busybox:1.37');
    await c.converge('web');
    // kubectl rollout undo: the template of revision 1 (minus pod-template-hash) is patched in.
    c.editDeployment('web', (d) => (d.spec.template = structuredClone(original)));
    await c.converge('web');
    assert.equal(c.rsList().length, 2, 'no new ReplicaSet');
    const rs = byImage(c);
    assert.equal(rs['busybox:1.36'].spec.replicas, 3);
    assert.equal(rs['busybox:1.36'].metadata.annotations![REV], '3');
    assert.equal(rs['busybox:1.36'].metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(rs['busybox:1.37'].spec.replicas, 0);
    assert.equal(c.deployment('web').metadata.annotations[REV], '3');
  });
  it('keeps only revisionHistoryLimit old ReplicaSets, deleting the oldest revisions', async () => {
    const c = await created({ revisionHistoryLimit: 1 });
    for (const v of ['1.37', '1.38', '1.39']) {
      setImage(c, `busybox:${v}`);
      await c.converge('web');
    }
    assert.deepEqual(c.rsList().map(image).sort(), ['busybox:1.38', 'busybox:1.39']);
  });
  it('copies change-cause onto the ReplicaSet for rollout history', async () => {
    const c = await created();
    c.editDeployment('web', (d) => {
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), 'kubernetes.io/change-cause': 'kubectl set image deployment/web busybox=busybox:1.37' };
      (d.spec.template.spec as any).containers[0].image = 'busybox:1.37';
    });
    await c.converge('web');
    assert.equal(byImage(c)['busybox:1.37'].metadata.annotations!['kubernetes.io/change-cause'], 'kubectl set image deployment/web busybox=busybox:1.37');
  });
});

describe('syncDeployment: pause, scale, resume', () => {
  it('a paused Deployment scales but does not roll out; resume rolls out', async () => {
    const c = await created();
    c.editDeployment('web', (d) => (d.spec.paused = true));
    await c.converge('web');
    assert.deepEqual([cond(c, 'Progressing').status, cond(c, 'Progressing').reason], ['Unknown', 'DeploymentPaused']);
    setImage(c, 'busybox:1.37');
    c.editDeployment('web', (d) => (d.spec.replicas = 5));
    await c.converge('web');
    assert.equal(c.rsList().length, 1, 'no rollout while paused');
    assert.equal(c.rsList()[0].spec.replicas, 5, 'scaling still works');
    assert.equal(c.deployment('web').status.observedGeneration, c.deployment('web').metadata.generation);
    c.editDeployment('web', (d) => (d.spec.paused = false));
    await c.converge('web');
    assert.equal(byImage(c)['busybox:1.37'].spec.replicas, 5);
    assert.equal(cond(c, 'Progressing').reason, 'NewReplicaSetAvailable');
  });
  it('kubectl scale mid-rollout spreads the change proportionally', async () => {
    const c = await created({ replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    c.ready = (rs) => image(rs) === 'busybox:1.36';
    setImage(c, 'busybox:1.37');
    await c.converge('web'); // stalls: new pods never become available
    let rs = byImage(c);
    assert.deepEqual([rs['busybox:1.36'].spec.replicas, rs['busybox:1.37'].spec.replicas], [8, 5]);
    c.editDeployment('web', (d) => (d.spec.replicas = 15));
    await c.sync('web');
    rs = byImage(c);
    assert.deepEqual([rs['busybox:1.36'].spec.replicas, rs['busybox:1.37'].spec.replicas], [11, 7]);
    assert.equal(rs['busybox:1.37'].metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '15');
    assert.equal(rs['busybox:1.36'].metadata.annotations!['deployment.kubernetes.io/max-replicas'], '18');
    c.ready = () => true;
    await c.converge('web');
    rs = byImage(c);
    assert.deepEqual([rs['busybox:1.36'].spec.replicas, rs['busybox:1.37'].spec.replicas], [0, 15]);
  });
});

describe('syncDeployment: Recreate', () => {
  it('scales old to zero, waits for its pods to go, then creates the new ReplicaSet', async () => {
    const c = await created({ strategy: { type: 'Recreate' } });
    const oldUid = c.rsList()[0].metadata.uid!;
    setImage(c, 'busybox:1.37');
    c.lingeringPods.set(oldUid, 1); // a terminating pod of the old ReplicaSet
    await c.converge('web');
    assert.equal(c.rsList().length, 1, 'no new ReplicaSet while an old pod runs');
    assert.equal(c.rsList()[0].spec.replicas, 0);
    c.lingeringPods.delete(oldUid);
    await c.converge('web');
    assert.equal(byImage(c)['busybox:1.37'].spec.replicas, 3);
    assert.equal(cond(c, 'Progressing').reason, 'NewReplicaSetAvailable');
  });
});

describe('syncDeployment: ownership, collisions, deadlines', () => {
  it('adopts a matching orphan ReplicaSet instead of creating one', async () => {
    const c = new FakeCluster();
    await c.createDeployment(web());
    const d = c.deployment('web');
    const hash = computeHash(d.spec.template);
    await c.replicasets.create({
      metadata: { name: 'orphan', namespace: 'd', labels: { app: 'web', 'pod-template-hash': hash } },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } }, template: { metadata: { labels: { app: 'web', 'pod-template-hash': hash } }, spec: structuredClone(d.spec.template.spec) } },
    });
    await c.converge('web');
    assert.equal(c.rsList().length, 1);
    assert.equal(c.rsList()[0].metadata.ownerReferences![0].uid, d.metadata.uid);
  });
  it('bumps collisionCount when the name is taken by another template, and uses a new name', async () => {
    const c = new FakeCluster();
    await c.createDeployment(web());
    const hash = computeHash(c.deployment('web').spec.template);
    await c.replicasets.create({ metadata: { name: `web-${hash}`, namespace: 'd', labels: { other: 'x' } }, spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: {} } } });
    await c.converge('web');
    assert.equal(c.deployment('web').status.collisionCount, 1);
    const mine = c.rsList().find((rs) => rs.metadata.ownerReferences?.length)!;
    assert.equal(mine.metadata.name, `web-${computeHash(c.deployment('web').spec.template, 1)}`);
    assert.equal(mine.spec.replicas, 3);
  });
  it('reports ProgressDeadlineExceeded when a rollout stalls past progressDeadlineSeconds, and asks to be requeued before', async () => {
    const c = await created({ progressDeadlineSeconds: 30 });
    c.ready = (rs) => image(rs) === 'busybox:1.36';
    setImage(c, 'busybox:1.37');
    await c.converge('web');
    const r = await c.sync('web');
    assert.ok(r && r.requeueAfterMs! > 0 && r.requeueAfterMs! <= 31_000, JSON.stringify(r));
    c.now += 31_000;
    await c.sync('web');
    assert.deepEqual([cond(c, 'Progressing').status, cond(c, 'Progressing').reason], ['False', 'ProgressDeadlineExceeded']);
  });
  it('refuses a selector that selects everything', async () => {
    const c = new FakeCluster();
    const d = web();
    d.spec.selector = {};
    await c.createDeployment(d);
    await c.sync('web');
    assert.equal(c.rsList().length, 0);
    assert.equal(c.events[0].reason, 'SelectingAll');
    assert.equal(c.deployment('web').status.observedGeneration, 1);
  });
});
