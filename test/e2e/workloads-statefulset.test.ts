/**
 * StatefulSets end to end on simulated nodes with the real kubectl: OrderedReady creation
 * and reverse-order scale-down observed through a watch, a deleted pod returning under
 * its name, a released pod adopted back, stable hostname/subdomain, claims per ordinal and their retention policy,
 * RollingUpdate with a partition (reverse ordinal order, through a watch), OnDelete,
 * `kubectl rollout status|history|undo`, table columns and apps validation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';
import { watchLines } from './watch.js';

const ready = (p: any) => p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

function stsYaml(name: string, o: { replicas?: number; extraSpec?: string; image?: string; claims?: boolean } = {}): string {
  return `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}}
spec:
  serviceName: ${name}
  replicas: ${o.replicas ?? 3}
  selector: {matchLabels: {app: ${name}}}
${o.extraSpec ?? ''}  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: ${o.image ?? 'busybox:1.36'}
        command: ["sleep", "inf"]
${
  o.claims
    ? `  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`
    : ''
}`;
}

describe('statefulsets on simulated nodes', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '2']);
    await c.until('2 ready nodes', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 2);
  });
  after(async () => {
    await c.destroy();
  });

  const sts = (name: string) => c.getJson(`/apis/apps/v1/namespaces/default/statefulsets/${name}`);
  const pods = async (app: string) => (await c.getJson(`/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).items;
  const pvcs = async () => (await c.getJson('/api/v1/namespaces/default/persistentvolumeclaims')).items.map((p: any) => p.metadata.name).sort();
  const watchPods = async (app: string) => {
    const list = await c.getJson('/api/v1/namespaces/default/pods');
    const w = watchLines(c, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}&labelSelector=app%3D${app}`);
    await w.ready;
    return w;
  };

  it('creates pods in ordinal order, each Ready before the next, and scales down from the highest ordinal', async () => {
    const w = await watchPods('web');
    try {
      await c.k(['apply', '-f', '-'], { input: stsYaml('web') });
      const out = await c.k(['rollout', 'status', 'statefulset/web', '--timeout=60s']);
      assert.match(out, /partitioned roll out complete: 3 new pods have been updated/);
      // Replay the watch: when web-N first appears, web-(N-1) must already have been seen Running and Ready.
      const seenReady = new Set<string>();
      const created: string[] = [];
      for (const e of w.lines) {
        const p = e.object;
        if (!created.includes(p.metadata.name)) {
          created.push(p.metadata.name);
          const n = Number(p.metadata.name.split('-')[1]);
          if (n > 0) assert.ok(seenReady.has(`web-${n - 1}`), `web-${n} created before web-${n - 1} was Ready`);
        }
        if (ready(p)) seenReady.add(p.metadata.name);
      }
      assert.deepEqual(created, ['web-0', 'web-1', 'web-2']);
      const start = w.lines.length;
      await c.k(['scale', 'statefulset/web', '--replicas=1']);
      await c.until('web scaled to 1', async () => (await pods('web')).length === 1 && (await sts('web')).status.replicas === 1);
      // web-2 goes first, and web-1's deletion starts only after web-2 is gone.
      const order = w.lines.slice(start).flatMap((e) => (e.type === 'DELETED' ? [`gone:${e.object.metadata.name}`] : e.object.metadata.deletionTimestamp ? [`terminating:${e.object.metadata.name}`] : []));
      const first = (s: string) => order.indexOf(s);
      assert.ok(first('gone:web-2') >= 0 && first('gone:web-1') >= 0, `both deleted: ${order.join(' ')}`);
      const web1Start = first('terminating:web-1') >= 0 ? first('terminating:web-1') : first('gone:web-1');
      assert.ok(first('gone:web-2') < web1Start, `web-2 gone before web-1 deletion started: ${order.join(' ')}`);
      assert.ok(!order.some((s) => s.endsWith(':web-0')), 'web-0 untouched');
    } finally {
      w.close();
    }
    const [p0] = await pods('web');
    assert.equal(p0.metadata.name, 'web-0');
    assert.equal(p0.spec.hostname, 'web-0');
    assert.equal(p0.spec.subdomain, 'web');
    assert.equal(p0.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(p0.metadata.labels['apps.kubernetes.io/pod-index'], '0');
    const s = await sts('web');
    assert.equal(p0.metadata.labels['controller-revision-hash'], s.status.updateRevision);
    assert.deepEqual(
      { replicas: s.status.replicas, readyReplicas: s.status.readyReplicas, currentReplicas: s.status.currentReplicas, updatedReplicas: s.status.updatedReplicas, availableReplicas: s.status.availableReplicas, collisionCount: s.status.collisionCount },
      { replicas: 1, readyReplicas: 1, currentReplicas: 1, updatedReplicas: 1, availableReplicas: 1, collisionCount: 0 },
    );
    assert.equal(s.status.observedGeneration, s.metadata.generation);
    assert.equal(s.status.currentRevision, s.status.updateRevision);
    const table = await c.k(['get', 'statefulsets', 'web']);
    assert.match(table, /^NAME\s+READY\s+AGE\n/);
    assert.match(table, /\nweb\s+1\/1\s+\d+s/);
    const wide = await c.k(['get', 'sts', 'web', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\n/);
    assert.match(wide, /\nweb\s+1\/1\s+\S+\s+main\s+busybox:1\.36/);
  });

  it('brings a deleted pod back under the same name', async () => {
    const before = (await pods('web')).find((p: any) => p.metadata.name === 'web-0');
    await c.k(['delete', 'pod', 'web-0', '--wait=false']);
    const back = await c.until('web-0 back and Ready', async () => {
      const p = (await pods('web')).find((x: any) => x.metadata.name === 'web-0');
      return p && p.metadata.uid !== before.metadata.uid && ready(p) && p;
    });
    assert.equal(back.spec.hostname, 'web-0');
    assert.equal((await pods('web')).length, 1);
  });

  it('adopts back a pod whose controller reference was removed, without replacing it, and no pod not named as a member', async () => {
    const uid = (await sts('web')).metadata.uid;
    const before = (await pods('web')).find((p: any) => p.metadata.name === 'web-0');
    assert.equal(before.metadata.ownerReferences?.[0]?.uid, uid);
    // A pod with the set's labels but not a member's name (isMemberOf) stays an orphan.
    await c.k(['run', 'stray', '--image=busybox:1.36', '--labels=app=web', '--', 'sleep', 'inf']);
    // The release wakes the former owner (the controller reference changed), which adopts the orphan again.
    await c.k(['patch', 'pod', 'web-0', '--type=json', '-p', '[{"op":"remove","path":"/metadata/ownerReferences"}]']);
    const back = await c.until('web-0 adopted', async () => {
      const p = (await pods('web')).find((x: any) => x.metadata.name === 'web-0');
      return p?.metadata.ownerReferences?.[0]?.uid === uid && p;
    });
    assert.equal(back.metadata.uid, before.metadata.uid, 'the same pod');
    assert.deepEqual(back.metadata.ownerReferences.map((r: any) => [r.kind, r.name, r.controller, r.blockOwnerDeletion]), [['StatefulSet', 'web', true, true]]);
    const stray = (await pods('web')).find((p: any) => p.metadata.name === 'stray');
    assert.equal(stray.metadata.ownerReferences, undefined);
    await c.k(['delete', 'pod', 'stray', '--grace-period=0', '--force']);
    await c.until('stray gone', async () => !(await pods('web')).some((p: any) => p.metadata.name === 'stray'));
  });

  it('a StatefulSet made again after an orphaning delete adopts its pods and its ControllerRevision', async () => {
    await c.k(['apply', '-f', '-'], { input: stsYaml('adopt', { replicas: 2 }) });
    await c.k(['rollout', 'status', 'sts/adopt', '--timeout=60s']);
    const revisions = async () => (await c.getJson('/apis/apps/v1/namespaces/default/controllerrevisions')).items.filter((r: any) => r.metadata.name.startsWith('adopt-'));
    const before = (await pods('adopt')).map((p: any) => p.metadata.uid).sort();
    const rev1 = (await sts('adopt')).status.updateRevision;
    await c.k(['delete', 'sts', 'adopt', '--cascade=orphan']);
    await c.until('orphaned', async () => (await revisions()).every((r: any) => !r.metadata.ownerReferences?.length) && (await pods('adopt')).every((p: any) => !p.metadata.ownerReferences?.length));
    await c.k(['apply', '-f', '-'], { input: stsYaml('adopt', { replicas: 2 }) });
    const uid = (await sts('adopt')).metadata.uid;
    await c.until('adopted', async () => {
      const rs = await revisions();
      return rs.length === 1 && rs[0].metadata.ownerReferences?.[0]?.uid === uid && (await pods('adopt')).every((p: any) => p.metadata.ownerReferences?.[0]?.uid === uid);
    });
    await c.until('status on the adopted revision', async () => (await sts('adopt')).status?.currentRevision === rev1);
    assert.deepEqual((await pods('adopt')).map((p: any) => p.metadata.uid).sort(), before, 'the same pods, not replaced');
    assert.match(await c.k(['rollout', 'history', 'sts/adopt']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n\n?$/);
    await c.k(['delete', 'sts', 'adopt']);
  });

  it('creates one claim per template per ordinal and applies the retention policy on scale-down and delete', async () => {
    await c.k(['apply', '-f', '-'], { input: stsYaml('gone', { claims: true, extraSpec: '  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete, whenDeleted: Delete}\n' }) });
    await c.k(['apply', '-f', '-'], { input: stsYaml('kept', { claims: true }) });
    await c.k(['rollout', 'status', 'sts/gone', '--timeout=60s']);
    await c.k(['rollout', 'status', 'sts/kept', '--timeout=60s']);
    assert.deepEqual(await pvcs(), ['data-gone-0', 'data-gone-1', 'data-gone-2', 'data-kept-0', 'data-kept-1', 'data-kept-2']);
    const claim = await c.getJson('/api/v1/namespaces/default/persistentvolumeclaims/data-gone-1');
    assert.equal(claim.status.phase, 'Bound', 'the default local-path class provisions and binds it (on the pod\'s node)');
    assert.deepEqual(
      claim.metadata.ownerReferences.map((r: any) => `${r.kind}/${r.name}`),
      ['StatefulSet/gone'],
      'whenDeleted: Delete makes the set own its claims',
    );
    const keptClaim = await c.getJson('/api/v1/namespaces/default/persistentvolumeclaims/data-kept-1');
    assert.equal(keptClaim.metadata.ownerReferences, undefined, 'Retain/Retain: nobody owns the claim');
    const pod = await c.getJson('/api/v1/namespaces/default/pods/gone-1');
    assert.deepEqual(pod.spec.volumes.find((v: any) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-gone-1' } });

    await c.k(['scale', 'sts/gone', '--replicas=1']);
    await c.k(['scale', 'sts/kept', '--replicas=1']);
    await c.until('scaled-away claims of gone deleted', async () => {
      const names = await pvcs();
      return !names.includes('data-gone-1') && !names.includes('data-gone-2');
    });
    await c.until('kept scaled to 1', async () => (await pods('kept')).length === 1);
    assert.deepEqual(await pvcs(), ['data-gone-0', 'data-kept-0', 'data-kept-1', 'data-kept-2'], 'whenScaled: Retain keeps the claims of removed ordinals');

    // Scaling back up reuses the retained claims and makes fresh ones where they were deleted.
    await c.k(['scale', 'sts/gone', '--replicas=2']);
    await c.k(['rollout', 'status', 'sts/gone', '--timeout=60s']);
    assert.ok((await pvcs()).includes('data-gone-1'));

    await c.k(['delete', 'sts', 'gone']);
    await c.until('claims of gone deleted with it', async () => !(await pvcs()).some((n: string) => n.startsWith('data-gone-')));
    assert.deepEqual(await pvcs(), ['data-kept-0', 'data-kept-1', 'data-kept-2']);
  });

  it('rolls out in reverse ordinal order down to the partition, and rolls back', async () => {
    await c.k(['apply', '-f', '-'], { input: stsYaml('roll', { extraSpec: '  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}\n' }) });
    await c.k(['rollout', 'status', 'sts/roll', '--timeout=60s']);
    const rev1 = (await sts('roll')).status.updateRevision;
    const w = await watchPods('roll');
    try {
      // Revisions carry the set's annotations: the change-cause shows in the history.
      await c.k(['annotate', 'sts/roll', 'kubernetes.io/change-cause=to busybox 1.37']);
      await c.k(['set', 'image', 'sts/roll', 'main=busybox:1.37']);
      const out = await c.k(['rollout', 'status', 'sts/roll', '--timeout=60s']);
      assert.match(out, /partitioned roll out complete: 1 new pods have been updated/);
      const s = await sts('roll');
      assert.notEqual(s.status.updateRevision, rev1);
      assert.equal(s.status.currentRevision, rev1, 'the partitioned rollout is not complete');
      const byName = Object.fromEntries((await pods('roll')).map((p: any) => [p.metadata.name, p]));
      assert.equal(byName['roll-2'].metadata.labels['controller-revision-hash'], s.status.updateRevision);
      assert.equal(byName['roll-2'].spec.containers[0].image, 'busybox:1.37');
      for (const n of ['roll-0', 'roll-1']) assert.equal(byName[n].metadata.labels['controller-revision-hash'], rev1, `${n} below the partition keeps the old revision`);
      assert.deepEqual([s.status.updatedReplicas, s.status.currentReplicas], [1, 2]);

      await c.k(['patch', 'sts/roll', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}']);
      assert.match(await c.k(['rollout', 'status', 'sts/roll', '--timeout=60s']), /partitioned roll out complete: 3 new pods have been updated/);
      await c.until('rollout complete', async () => {
        const x = await sts('roll');
        return x.status.currentRevision === x.status.updateRevision && x.status.updatedReplicas === 3 && x.status.readyReplicas === 3;
      });
      const deleted = w.lines.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name);
      assert.deepEqual(deleted, ['roll-2', 'roll-1', 'roll-0'], 'pods replaced from the highest ordinal down');
    } finally {
      w.close();
    }
    const hist = await c.k(['rollout', 'history', 'sts/roll']);
    assert.match(hist, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+to busybox 1\.37\n/);
    const revs = (await c.getJson('/apis/apps/v1/namespaces/default/controllerrevisions')).items.filter((r: any) => r.metadata.ownerReferences?.[0]?.name === 'roll');
    assert.equal(revs.length, 2);
    await c.k(['rollout', 'undo', 'sts/roll']);
    await c.k(['rollout', 'status', 'sts/roll', '--timeout=60s']);
    await c.until('rolled back to busybox:1.36', async () => {
      const x = await sts('roll');
      const ps = await pods('roll');
      return x.spec.template.spec.containers[0].image === 'busybox:1.36' && x.status.currentRevision === rev1 && ps.length === 3 && ps.every((p: any) => p.spec.containers[0].image === 'busybox:1.36' && ready(p));
    });
    assert.match(await c.k(['rollout', 'history', 'sts/roll']), /\n2\s+to busybox 1\.37\n3\s+<none>/, 'the restored revision becomes the newest');
  });

  it('with maxUnavailable replaces up to that many pods at once', async () => {
    await c.k(['apply', '-f', '-'], { input: stsYaml('mu', { replicas: 4, extraSpec: '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 2}}\n' }) });
    await c.k(['rollout', 'status', 'sts/mu', '--timeout=60s']);
    const initial = await pods('mu');
    const w = await watchPods('mu');
    try {
      await c.k(['set', 'image', 'sts/mu', 'main=busybox:1.37']);
      await c.k(['rollout', 'status', 'sts/mu', '--timeout=60s']);
      await c.until('mu updated', async () => {
        const x = await sts('mu');
        return x.status.currentRevision === x.status.updateRevision && x.status.readyReplicas === 4;
      });
      // Replay: how many of the 4 ordinals were without a healthy pod at once.
      const live = new Map<string, any>(initial.map((p: any) => [p.metadata.name, p]));
      let most = 0;
      for (const e of w.lines) {
        if (e.type === 'DELETED') live.delete(e.object.metadata.name);
        else live.set(e.object.metadata.name, e.object);
        most = Math.max(most, 4 - [...live.values()].filter((p) => ready(p) && !p.metadata.deletionTimestamp).length);
      }
      assert.equal(most, 2, `at most (and here exactly) 2 pods unavailable at once, saw ${most}`);
    } finally {
      w.close();
    }
  });

  it('Parallel creates every pod at once, OrderedReady stops at the first that is not Ready', async () => {
    // A nodeSelector no node has: pods stay Pending, never Ready.
    const stuck = '      nodeSelector: {nowhere: "true"}\n';
    const yaml = (name: string, policy: string) => stsYaml(name, { extraSpec: `  podManagementPolicy: ${policy}\n` }).replace('      containers:\n', `${stuck}      containers:\n`);
    await c.k(['apply', '-f', '-'], { input: yaml('par', 'Parallel') });
    await c.k(['apply', '-f', '-'], { input: yaml('ord', 'OrderedReady') });
    await c.until('3 pending Parallel pods', async () => (await pods('par')).length === 3);
    await c.until('ord-0 created', async () => (await pods('ord')).length >= 1);
    await c.until('ord status observed', async () => (await sts('ord')).status?.replicas === 1);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual((await pods('ord')).map((p: any) => p.metadata.name), ['ord-0'], 'OrderedReady waits for ord-0 to be Ready');
    assert.equal((await sts('par')).status.readyReplicas, 0);
    await c.k(['delete', 'sts', 'par', 'ord']);
  });

  it('OnDelete replaces a pod only when it is deleted', async () => {
    await c.k(['apply', '-f', '-'], { input: stsYaml('od', { replicas: 2, extraSpec: '  updateStrategy: {type: OnDelete}\n' }) });
    await c.until('od ready', async () => (await sts('od')).status?.readyReplicas === 2);
    const rev1 = (await sts('od')).status.updateRevision;
    await c.k(['set', 'image', 'sts/od', 'main=busybox:1.37']);
    await c.until('new update revision', async () => (await sts('od')).status.updateRevision !== rev1);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await pods('od')).every((p: any) => p.metadata.labels['controller-revision-hash'] === rev1), 'OnDelete leaves running pods alone');
    const r = await c.kubectl(['rollout', 'status', 'sts/od']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /rollout status is only available for RollingUpdate strategy type/);
    await c.k(['delete', 'pod', 'od-1', '--wait=false']);
    const s = await c.until('od-1 recreated at the new revision', async () => {
      const p = (await pods('od')).find((x: any) => x.metadata.name === 'od-1' && !x.metadata.deletionTimestamp);
      const x = await sts('od');
      return p && p.metadata.labels['controller-revision-hash'] === x.status.updateRevision && ready(p) && x;
    });
    assert.equal(s.status.updatedReplicas, 1);
    assert.equal(s.status.currentRevision, rev1, 'OnDelete never completes the rollout by itself');
  });

  it('rejects invalid update strategies with upstream field errors', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: stsYaml('bad', { extraSpec: '  podManagementPolicy: Sometimes\n  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: -1, maxUnavailable: 0}}\n' }) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'/);
    assert.match(r.stderr, /spec\.updateStrategy\.rollingUpdate\.partition: Invalid value: -1: must be greater than or equal to 0/);
    assert.match(r.stderr, /spec\.updateStrategy\.rollingUpdate\.maxUnavailable: Invalid value: 0: must be greater than zero/);
    const body = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'bad2' },
      spec: { selector: { matchLabels: { a: 'b' } }, updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } }, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Keep' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const res = await c.raw('POST', '/apis/apps/v1/namespaces/default/statefulsets', { body });
    assert.equal(res.code, 422);
    assert.equal(res.json.reason, 'Invalid');
    const fields = res.json.details.causes.map((x: any) => x.field);
    assert.ok(fields.includes('spec.updateStrategy.rollingUpdate'), fields.join());
    assert.ok(fields.includes('spec.persistentVolumeClaimRetentionPolicy.whenScaled'), fields.join());
  });
});
