/**
 * Deployments end to end on simulated nodes with the real kubectl: create, rolling update
 * within maxSurge/maxUnavailable, history, undo, pause/resume, proportional scaling,
 * self-healing ReplicaSets, cascading deletes, namespace deletion, and a controller manager
 * killed mid-rollout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Cluster } from './cluster.js';

const root = new URL('../../..', import.meta.url).pathname;

async function pods(c: Cluster, ns: string, selector: string): Promise<any[]> {
  return (await c.getJson(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)).items;
}
const ready = (p: any) => (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True');

describe('deployments on simulated nodes', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '3', '--simulated-start-delay', '150']);
    await c.until('3 ready nodes', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 3);
  });
  after(async () => {
    await c.destroy();
  });

  it('creates a deployment whose pods become Running and Ready', async () => {
    assert.match(await c.k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3']), /deployment.apps\/web created/);
    assert.match(await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
    const ps = await pods(c, 'default', 'app=web');
    assert.equal(ps.length, 3);
    assert.ok(ps.every((p) => p.status.phase === 'Running' && ready(p) && p.status.podIP?.startsWith('10.42.') && p.spec.nodeName));
    const out = await c.k(['get', 'pods', '-l', 'app=web']);
    assert.equal(out.match(/1\/1\s+Running/g)?.length, 3);
  });

  it('rolls out a new image within maxSurge and maxUnavailable', async () => {
    let maxActive = 0;
    let minReady = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ps = (await pods(c, 'default', 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
        maxActive = Math.max(maxActive, ps.length);
        minReady = Math.min(minReady, ps.filter(ready).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await c.k(['set', 'image', 'deployment/web', 'busybox=busybox:1.37']);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    sampling = false;
    await sampler;
    // 3 replicas with the default 25%: maxSurge rounds up to 1, maxUnavailable down to 0.
    assert.ok(maxActive <= 4, `never more than replicas+maxSurge pods (saw ${maxActive})`);
    assert.ok(minReady >= 3, `never fewer than replicas-maxUnavailable ready (saw ${minReady})`);
    const ps = await pods(c, 'default', 'app=web');
    assert.ok(ps.every((p) => p.spec.containers[0].image === 'busybox:1.37'));
    const hist = await c.k(['rollout', 'history', 'deployment/web']);
    assert.match(hist, /^1\s/m);
    assert.match(hist, /^2\s/m);
  });

  it('undoes a rollout back to the old template hash', async () => {
    const rsBefore = (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).items;
    const old = rsBefore.find((r: any) => r.spec.template.spec.containers[0].image === 'busybox:1.36');
    await c.k(['rollout', 'undo', 'deployment/web']);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const ps = await pods(c, 'default', 'app=web');
    assert.ok(ps.every((p) => p.metadata.labels['pod-template-hash'] === old.metadata.labels['pod-template-hash']));
    assert.equal(ps.length, 3);
  });

  it('pause, edit twice, resume gives exactly one new revision', async () => {
    const revisions = async () => (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).items.map((r: any) => Number(r.metadata.annotations['deployment.kubernetes.io/revision']));
    const before = Math.max(...(await revisions()));
    await c.k(['rollout', 'pause', 'deployment/web']);
    await c.k(['set', 'image', 'deployment/web', 'busybox=busybox:1.38']);
    await c.k(['set', 'env', 'deployment/web', 'MODE=paused-edit']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(Math.max(...(await revisions())), before, 'no rollout while paused');
    await c.k(['rollout', 'resume', 'deployment/web']);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    assert.equal(Math.max(...(await revisions())), before + 1);
  });

  it('scales proportionally in the middle of a rollout', async () => {
    await c.k(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":3,"maxUnavailable":0}}}}']);
    await c.k(['rollout', 'pause', 'deployment/web']);
    await c.k(['set', 'image', 'deployment/web', 'busybox=busybox:1.39']);
    await c.k(['rollout', 'resume', 'deployment/web']);
    // Scale while the new ReplicaSet is still coming up.
    await c.until('a rollout in progress', async () => (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).items.filter((r: any) => r.spec.replicas > 0).length >= 2, 10_000);
    const mid = (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).items.filter((r: any) => r.spec.replicas > 0);
    await c.k(['scale', 'deployment/web', '--replicas=10']);
    const after = await c.until('scaled replica sets', async () => {
      const rs = (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).items;
      const d = await c.getJson('/apis/apps/v1/namespaces/default/deployments/web');
      return d.status.observedGeneration >= d.metadata.generation && rs.reduce((a: number, r: any) => a + r.spec.replicas, 0) > 6 ? rs : undefined;
    });
    // Both the old and the new ReplicaSet grew (proportional scaling), not just the new one.
    const grew = mid.filter((m: any) => after.find((a: any) => a.metadata.name === m.metadata.name).spec.replicas > m.spec.replicas);
    assert.ok(grew.length >= 1, 'existing replica sets were scaled');
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.equal((await pods(c, 'default', 'app=web')).filter((p) => !p.metadata.deletionTimestamp).length, 10);
  });

  it('replaces a deleted pod, and cascades deletes (background, orphan, foreground)', async () => {
    await c.k(['create', 'deployment', 'heal', '--image=busybox:1.36', '--replicas=2']);
    await c.k(['rollout', 'status', 'deployment/heal', '--timeout=60s']);
    const victim = (await pods(c, 'default', 'app=heal'))[0].metadata.name;
    await c.k(['delete', 'pod', victim]);
    await c.until('a replacement pod', async () => {
      const ps = (await pods(c, 'default', 'app=heal')).filter((p) => !p.metadata.deletionTimestamp && p.metadata.name !== victim && ready(p));
      return ps.length === 2;
    });
    await c.k(['delete', 'deployment', 'heal', '--cascade=orphan']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dheal')).items.length, 1, 'orphaned ReplicaSet stays');
    assert.equal((await pods(c, 'default', 'app=heal')).length, 2);
    await c.k(['delete', 'replicasets', '-l', 'app=heal', '--cascade=foreground']);
    await c.until('foreground delete removes pods and then the ReplicaSet', async () => (await pods(c, 'default', 'app=heal')).length === 0 && (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dheal')).items.length === 0);
    await c.k(['create', 'deployment', 'gone', '--image=busybox:1.36', '--replicas=2']);
    await c.k(['rollout', 'status', 'deployment/gone', '--timeout=60s']);
    await c.k(['delete', 'deployment', 'gone']);
    await c.until('background delete removes ReplicaSets and pods', async () => (await pods(c, 'default', 'app=gone')).length === 0 && (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dgone')).items.length === 0);
  });

  it('deletes a namespace with everything in it', async () => {
    await c.k(['create', 'namespace', 'doomed']);
    await c.k(['create', 'deployment', 'd', '--image=busybox:1.36', '--replicas=2', '-n', 'doomed']);
    await c.k(['create', 'configmap', 'cm', '-n', 'doomed']);
    await c.k(['rollout', 'status', 'deployment/d', '-n', 'doomed', '--timeout=60s']);
    await c.k(['delete', 'namespace', 'doomed', '--timeout=60s']);
    const r = await c.kubectl(['get', 'namespace', 'doomed']);
    assert.match(r.stderr, /NotFound/);
    for (const path of ['/api/v1/namespaces/doomed/pods', '/apis/apps/v1/namespaces/doomed/replicasets', '/api/v1/namespaces/doomed/configmaps']) {
      assert.equal((await c.getJson(path)).items.length, 0, `${path} is empty`);
    }
    const refused = await c.kubectl(['create', 'configmap', 'late', '-n', 'doomed']);
    assert.notEqual(refused.code, 0);
  });
});

describe('a controller manager killed mid-rollout', () => {
  let c: Cluster;
  let cm: ChildProcess | undefined;
  const startCm = () => spawn(process.execPath, [`${root}bin/skiff.js`, 'controller-manager', '--kubeconfig', c.kubeconfig], { stdio: 'ignore' });
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '3', '--simulated-start-delay', '300', '--disable-controller-manager']);
    cm = startCm();
  });
  after(async () => {
    cm?.kill('SIGKILL');
    await c.destroy();
  });

  it('finishes the rollout after a restart with no duplicate or lost pods', async () => {
    await c.k(['create', 'deployment', 'ha', '--image=busybox:1.36', '--replicas=6']);
    await c.k(['rollout', 'status', 'deployment/ha', '--timeout=60s']);
    await c.k(['set', 'image', 'deployment/ha', 'busybox=busybox:1.37']);
    await c.until('the rollout under way', async () => (await pods(c, 'default', 'app=ha')).some((p) => p.spec.containers[0].image === 'busybox:1.37'), 20_000);
    cm!.kill('SIGKILL');
    cm = startCm();
    // The new process waits for the dead one's lease (15 s) to expire, then takes over.
    await c.k(['rollout', 'status', 'deployment/ha', '--timeout=90s']);
    const ps = (await pods(c, 'default', 'app=ha')).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(ps.length, 6);
    assert.ok(ps.every((p) => p.spec.containers[0].image === 'busybox:1.37' && ready(p)));
    const rs = (await c.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dha')).items;
    assert.equal(rs.length, 2);
    assert.equal(rs.reduce((a: number, r: any) => a + r.status.replicas, 0), 6);
  });
});
