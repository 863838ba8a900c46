/**
 * DaemonSets end to end on simulated nodes with the real kubectl: one pod per node,
 * pinned by matchFields node affinity and bound by the scheduler, with the daemon
 * tolerations; pods follow nodes joining (a second `skiff agent` process, and a bare Node
 * object with no agent) and leaving; taints are respected (NoSchedule keeps new pods off
 * but lets a running one stay, NoExecute removes it); RollingUpdate within maxUnavailable
 * and with maxSurge (observed through a watch), `kubectl rollout status|history|undo`,
 * table columns and validation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { templateHash } from '../../src/controllers/common/revisions.js';
import { Cluster } from './cluster.js';
import { watchLines } from './watch.js';

const root = new URL('../../..', import.meta.url).pathname;
const ready = (p: any) => p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

function dsYaml(name: string, o: { extraSpec?: string; extraPod?: string; image?: string } = {}): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
${o.extraSpec ?? ''}  template:
    metadata: {labels: {app: ${name}}}
    spec:
${o.extraPod ?? ''}      containers:
      - name: main
        image: ${o.image ?? 'busybox:1.36'}
        command: ["sleep", "inf"]
`;
}

/**
 * Replays pod watch events of one DaemonSet from a moment when every node had an available
 * pod, and returns the most nodes that were without one at once.
 */
function maxUnavailableNodes(initial: any[], events: any[], nodes: string[]): number {
  const live = new Map<string, any>(initial.map((p) => [p.metadata.name, p]));
  let most = 0;
  for (const e of events) {
    const p = e.object;
    if (e.type === 'DELETED') live.delete(p.metadata.name);
    else live.set(p.metadata.name, p);
    const down = nodes.filter((n) => ![...live.values()].some((x) => x.spec.nodeName === n && ready(x) && !x.metadata.deletionTimestamp)).length;
    most = Math.max(most, down);
  }
  return most;
}

describe('daemonsets on simulated nodes', () => {
  let c: Cluster;
  let agent: ChildProcess | undefined;
  const nodes = ['sim-node-0', 'sim-node-1', 'sim-node-2'];
  before(async () => {
    // Pods take a moment to start, so a rolling update's overlap is visible through the watch.
    c = await Cluster.start(['--simulated-nodes', '3', '--simulated-start-delay', '150']);
    await c.until('3 ready nodes', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 3);
  });
  after(async () => {
    agent?.kill('SIGKILL');
    await c.destroy();
  });

  const ds = (name: string) => c.getJson(`/apis/apps/v1/namespaces/default/daemonsets/${name}`);
  const pods = async (app: string) => (await c.getJson(`/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).items;
  const podNodes = async (app: string) => (await pods(app)).filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.spec.nodeName ?? '').sort();
  const watchPods = async (app: string) => {
    const list = await c.getJson(`/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`);
    const w = watchLines(c, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}&labelSelector=app%3D${app}`);
    await w.ready;
    return { ...w, initial: list.items as any[] };
  };

  it('runs one pod on every node, pinned by node affinity, with the daemon tolerations', async () => {
    await c.k(['apply', '-f', '-'], { input: dsYaml('every') });
    assert.match(await c.k(['rollout', 'status', 'ds/every', '--timeout=60s']), /daemon set "every" successfully rolled out/);
    assert.deepEqual(await podNodes('every'), nodes);
    const [p] = (await pods('every')).filter((x: any) => x.spec.nodeName === 'sim-node-1');
    assert.deepEqual(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['sim-node-1'] }] }]);
    const tol = p.spec.tolerations.map((t: any) => `${t.key}:${t.operator}:${t.effect}`).sort();
    assert.deepEqual(tol, [
      'node.kubernetes.io/disk-pressure:Exists:NoSchedule',
      'node.kubernetes.io/memory-pressure:Exists:NoSchedule',
      'node.kubernetes.io/not-ready:Exists:NoExecute',
      'node.kubernetes.io/pid-pressure:Exists:NoSchedule',
      'node.kubernetes.io/unreachable:Exists:NoExecute',
      'node.kubernetes.io/unschedulable:Exists:NoSchedule',
    ]);
    const s = (await ds('every')).status;
    assert.deepEqual(
      [s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady, s.numberAvailable, s.updatedNumberScheduled, s.numberMisscheduled],
      [3, 3, 3, 3, 3, 0],
    );
    const table = await c.k(['get', 'ds', 'every']);
    assert.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/);
    assert.match(table, /\nevery\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\d+s/);

    // Host-network daemons also tolerate an unavailable network; a nodeSelector narrows the nodes.
    await c.k(['label', 'node', 'sim-node-0', 'role=edge']);
    await c.k(['apply', '-f', '-'], { input: dsYaml('edge', { extraPod: '      hostNetwork: true\n      nodeSelector: {role: edge}\n' }) });
    await c.k(['rollout', 'status', 'ds/edge', '--timeout=60s']);
    const edge = await pods('edge');
    assert.deepEqual(edge.map((x: any) => x.spec.nodeName), ['sim-node-0']);
    assert.ok(edge[0].spec.tolerations.some((t: any) => t.key === 'node.kubernetes.io/network-unavailable' && t.effect === 'NoSchedule'));
    assert.match(await c.k(['get', 'ds', 'edge']), /\nedge\s+1\s+1\s+1\s+1\s+1\s+role=edge\s+/);
    await c.k(['delete', 'ds', 'edge']);
  });

  it('never makes two pods for one node under a burst of node events', async () => {
    const w = await watchPods('burst');
    try {
      // Every node update wakes every DaemonSet: relabel the nodes many times, concurrently, while it starts.
      const relabel = (i: number) => c.raw('PATCH', `/api/v1/nodes/${nodes[i % 3]}`, { body: JSON.stringify({ metadata: { labels: { burst: String(i) } } }), contentType: 'application/merge-patch+json' });
      const first = Array.from({ length: 30 }, (_, i) => relabel(i));
      await c.k(['apply', '-f', '-'], { input: dsYaml('burst') });
      await Promise.all([...first, ...Array.from({ length: 60 }, (_, i) => relabel(i + 30))]);
      await c.k(['rollout', 'status', 'ds/burst', '--timeout=60s']);
      const created = new Set(w.lines.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name));
      assert.equal(created.size, 3, `exactly one pod per node was created (saw ${[...created].join(', ')})`);
    } finally {
      w.close();
    }
    await c.k(['label', 'node', '--all', 'burst-']);
    await c.k(['delete', 'ds', 'burst']);
  });

  it('follows nodes that join and leave', async () => {
    // A real node joins: a second agent process registers simulated node joiner-0.
    agent = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'agent', '--simulated', '--simulated-nodes', '1', '--node-name', 'joiner', '--kubeconfig', c.kubeconfig], { stdio: 'ignore' });
    await c.until('daemon pod Ready on joiner-0', async () => (await pods('every')).some((p: any) => p.spec.nodeName === 'joiner-0' && ready(p)), 60_000);
    await c.until('status counts 4 nodes', async () => (await ds('every')).status.numberReady === 4);
    // A Node object with no agent behind it: the daemon pod is made and bound, but never starts.
    await c.k(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: Node\nmetadata:\n  name: bare\n  labels: {kubernetes.io/hostname: bare}\n' });
    const bare = await c.until('daemon pod bound to bare', async () => (await pods('every')).find((p: any) => p.spec.nodeName === 'bare'));
    assert.equal(bare.status.phase, 'Pending');
    const s = await c.until('status with 5 nodes', async () => {
      const x = (await ds('every')).status;
      return x.desiredNumberScheduled === 5 && x.currentNumberScheduled === 5 && x;
    });
    assert.equal(s.numberReady, 4);
    assert.equal(s.numberUnavailable, 1);
    // Nodes leave: deleting the Node objects removes their daemon pods.
    await c.k(['delete', 'node', 'bare']);
    agent.kill('SIGTERM');
    await new Promise((r) => agent!.once('exit', r));
    agent = undefined;
    await c.k(['delete', 'node', 'joiner-0']);
    await c.until('daemon pods only on the 3 remaining nodes', async () => JSON.stringify(await podNodes('every')) === JSON.stringify(nodes) && (await pods('every')).length === 3);
    await c.until('status back to 3', async () => {
      const x = (await ds('every')).status;
      return x.desiredNumberScheduled === 3 && x.numberReady === 3 && x.currentNumberScheduled === 3;
    });
  });

  it('respects taints: NoSchedule keeps new pods off, NoExecute removes running ones, tolerations and cordons as upstream', async () => {
    await c.k(['taint', 'node', 'sim-node-2', 'dedicated=infra:NoSchedule']);
    await c.k(['apply', '-f', '-'], { input: dsYaml('plain') });
    await c.k(['apply', '-f', '-'], { input: dsYaml('tolerant', { extraPod: '      tolerations: [{key: dedicated, operator: Equal, value: infra, effect: NoSchedule}]\n' }) });
    await c.k(['rollout', 'status', 'ds/plain', '--timeout=60s']);
    await c.k(['rollout', 'status', 'ds/tolerant', '--timeout=60s']);
    assert.deepEqual(await podNodes('plain'), ['sim-node-0', 'sim-node-1']);
    assert.deepEqual(await podNodes('tolerant'), nodes);
    assert.equal((await ds('plain')).status.desiredNumberScheduled, 2);

    // A NoSchedule taint added under a running daemon pod: it stays, counted as misscheduled.
    await c.k(['taint', 'node', 'sim-node-1', 'late=x:NoSchedule']);
    const s = await c.until('plain sees sim-node-1 as misscheduled', async () => {
      const x = (await ds('plain')).status;
      return x.numberMisscheduled === 1 && x;
    });
    assert.equal(s.desiredNumberScheduled, 1);
    assert.deepEqual(await podNodes('plain'), ['sim-node-0', 'sim-node-1']);
    // NoExecute is not tolerated: the pod goes.
    await c.k(['taint', 'node', 'sim-node-1', 'evict=now:NoExecute']);
    await c.until('plain pod removed from sim-node-1', async () => JSON.stringify(await podNodes('plain')) === '["sim-node-0"]');
    await c.until('misscheduled back to 0', async () => (await ds('plain')).status.numberMisscheduled === 0);
    for (const t of ['sim-node-2 dedicated-', 'sim-node-1 late-', 'sim-node-1 evict-']) await c.k(['taint', 'node', ...t.split(' ')]);
    await c.until('plain back on 3 nodes', async () => JSON.stringify(await podNodes('plain')) === JSON.stringify(nodes));
    await c.k(['delete', 'ds', 'plain', 'tolerant']);
    // A cordoned node still gets daemon pods (they tolerate node.kubernetes.io/unschedulable).
    await c.k(['cordon', 'sim-node-0']);
    try {
      await c.k(['apply', '-f', '-'], { input: dsYaml('cordoned') });
      await c.k(['rollout', 'status', 'ds/cordoned', '--timeout=60s']);
      assert.deepEqual(await podNodes('cordoned'), nodes);
    } finally {
      await c.k(['uncordon', 'sim-node-0']);
    }
    await c.k(['delete', 'ds', 'cordoned']);
  });

  it('rolls out node by node within maxUnavailable, and rolls back', async () => {
    await c.until('every settled', async () => (await pods('every')).length === 3 && (await pods('every')).every(ready));
    const rev1 = (await pods('every'))[0].metadata.labels['controller-revision-hash'];
    const w = await watchPods('every');
    try {
      await c.k(['set', 'image', 'ds/every', 'main=busybox:1.37']);
      assert.match(await c.k(['rollout', 'status', 'ds/every', '--timeout=60s']), /daemon set "every" successfully rolled out/);
      assert.ok(w.lines.length > 0);
      const most = maxUnavailableNodes(w.initial, w.lines, nodes);
      assert.equal(most, 1, `with maxUnavailable 1, at most one node without an available pod (saw ${most})`);
    } finally {
      w.close();
    }
    const ps = await pods('every');
    assert.equal(ps.length, 3);
    assert.ok(ps.every((p: any) => p.spec.containers[0].image === 'busybox:1.37' && p.metadata.labels['controller-revision-hash'] !== rev1));
    const s = (await ds('every')).status;
    assert.equal(s.updatedNumberScheduled, 3);
    assert.equal(s.observedGeneration, (await ds('every')).metadata.generation);
    assert.match(await c.k(['rollout', 'history', 'ds/every']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    await c.k(['rollout', 'undo', 'ds/every']);
    await c.k(['rollout', 'status', 'ds/every', '--timeout=60s']);
    await c.until('rolled back', async () => (await pods('every')).every((p: any) => p.spec.containers[0].image === 'busybox:1.36' && p.metadata.labels['controller-revision-hash'] === rev1 && ready(p)));
  });

  it('with maxSurge starts the new pod before the old one goes', async () => {
    await c.k(['apply', '-f', '-'], { input: dsYaml('surge', { extraSpec: '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n' }) });
    await c.k(['rollout', 'status', 'ds/surge', '--timeout=60s']);
    const w = await watchPods('surge');
    try {
      await c.k(['set', 'image', 'ds/surge', 'main=busybox:1.37']);
      await c.k(['rollout', 'status', 'ds/surge', '--timeout=60s']);
      assert.equal(maxUnavailableNodes(w.initial, w.lines, nodes), 0, 'every node kept an available pod throughout');
      const onOneNode = new Map<string, Set<string>>();
      for (const e of w.lines) if (e.object.spec.nodeName) onOneNode.set(e.object.spec.nodeName, new Set([...(onOneNode.get(e.object.spec.nodeName) ?? []), e.object.metadata.name]));
      assert.ok([...onOneNode.values()].every((s) => s.size === 2), 'each node had its old and its new pod');
    } finally {
      w.close();
    }
    await c.until('old surge pods gone', async () => (await pods('surge')).length === 3);
    await c.k(['delete', 'ds', 'surge']);
  });

  it('OnDelete leaves old pods until they are deleted', async () => {
    await c.k(['apply', '-f', '-'], { input: dsYaml('manual', { extraSpec: '  updateStrategy: {type: OnDelete}\n' }) });
    await c.until('manual on 3 nodes', async () => (await ds('manual')).status?.numberReady === 3);
    await c.k(['set', 'image', 'ds/manual', 'main=busybox:1.37']);
    await c.until('generation observed', async () => {
      const x = await ds('manual');
      return x.status.observedGeneration === x.metadata.generation;
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await pods('manual')).every((p: any) => p.spec.containers[0].image === 'busybox:1.36'));
    assert.equal((await ds('manual')).status.updatedNumberScheduled ?? 0, 0);
    const r = await c.kubectl(['rollout', 'status', 'ds/manual']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /rollout status is only available for RollingUpdate strategy type/);
    const victim = (await pods('manual')).find((p: any) => p.spec.nodeName === 'sim-node-0');
    await c.k(['delete', 'pod', victim.metadata.name, '--wait=false']);
    await c.until('sim-node-0 gets the new template', async () => (await pods('manual')).some((p: any) => p.spec.nodeName === 'sim-node-0' && p.spec.containers[0].image === 'busybox:1.37' && ready(p)));
    await c.until('one updated', async () => (await ds('manual')).status.updatedNumberScheduled === 1);
    await c.k(['delete', 'ds', 'manual']);
  });

  it('resolves a ControllerRevision name collision by bumping status.collisionCount', async () => {
    await c.k(['apply', '-f', '-'], { input: dsYaml('collide') });
    await c.k(['rollout', 'status', 'ds/collide', '--timeout=60s']);
    const revisions = async () => (await c.getJson('/apis/apps/v1/namespaces/default/controllerrevisions')).items.filter((r: any) => r.metadata.name.startsWith('collide-'));
    const tmpl = (await ds('collide')).spec.template;
    // The hash is computed here as the controller does: check that on the first revision.
    assert.deepEqual((await revisions()).map((r: any) => r.metadata.name), [`collide-${templateHash(tmpl, 0)}`]);
    // Someone else's revision already holds the name the next template would get.
    const next = structuredClone(tmpl);
    next.spec.containers[0].image = 'busybox:1.37';
    const taken = `collide-${templateHash(next, 0)}`;
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: taken }, data: { spec: { template: { metadata: { labels: { other: 'x' } } } } }, revision: 7 }) });
    await c.k(['set', 'image', 'ds/collide', 'main=busybox:1.37']);
    assert.match(await c.k(['rollout', 'status', 'ds/collide', '--timeout=60s']), /daemon set "collide" successfully rolled out/);
    assert.equal((await ds('collide')).status.collisionCount, 1);
    const hash = templateHash(next, 1);
    await c.until('pods on the new revision', async () => {
      const ps = await pods('collide');
      return ps.length === 3 && ps.every((p: any) => p.metadata.labels['controller-revision-hash'] === hash && p.spec.containers[0].image === 'busybox:1.37');
    });
    const byName = new Map<string, any>((await revisions()).map((r: any) => [r.metadata.name, r]));
    assert.equal(byName.get(`collide-${hash}`)?.revision, 2);
    assert.equal(byName.get(`collide-${hash}`)?.metadata.ownerReferences[0].name, 'collide');
    assert.equal(byName.get(taken)?.revision, 7, 'the other revision is left alone');
    assert.equal(byName.get(taken)?.metadata.ownerReferences, undefined);
    assert.match(await c.k(['rollout', 'history', 'ds/collide']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    await c.k(['delete', 'ds', 'collide']);
    await c.k(['delete', 'controllerrevision', taken]);
  });

  it('a DaemonSet made again after an orphaning delete adopts its pods and its ControllerRevision', async () => {
    await c.k(['apply', '-f', '-'], { input: dsYaml('adopt') });
    await c.k(['rollout', 'status', 'ds/adopt', '--timeout=60s']);
    const revisions = async () => (await c.getJson('/apis/apps/v1/namespaces/default/controllerrevisions')).items.filter((r: any) => r.metadata.name.startsWith('adopt-'));
    const before = (await pods('adopt')).map((p: any) => p.metadata.name).sort();
    const [rev] = await revisions();
    await c.k(['delete', 'ds', 'adopt', '--cascade=orphan']);
    await c.until('orphaned', async () => (await revisions()).every((r: any) => !r.metadata.ownerReferences?.length) && (await pods('adopt')).every((p: any) => !p.metadata.ownerReferences?.length));
    await c.k(['apply', '-f', '-'], { input: dsYaml('adopt') });
    const uid = (await ds('adopt')).metadata.uid;
    await c.until('adopted', async () => {
      const rs = await revisions();
      return rs.length === 1 && rs[0].metadata.ownerReferences?.[0]?.uid === uid && (await pods('adopt')).every((p: any) => p.metadata.ownerReferences?.[0]?.uid === uid);
    });
    await c.k(['rollout', 'status', 'ds/adopt', '--timeout=60s']);
    assert.deepEqual((await pods('adopt')).map((p: any) => p.metadata.name).sort(), before, 'the same pods, not replaced');
    assert.equal((await revisions())[0].metadata.name, rev.metadata.name);
    assert.match(await c.k(['rollout', 'history', 'ds/adopt']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n\n?$/);
    await c.k(['delete', 'ds', 'adopt']);
  });

  it('rejects invalid rolling update parameters', async () => {
    let r = await c.kubectl(['apply', '-f', '-'], { input: dsYaml('bad', { extraSpec: '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 0}}\n' }) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.updateStrategy\.rollingUpdate\.maxUnavailable: Required value: cannot be 0 when maxSurge is 0/);
    r = await c.kubectl(['apply', '-f', '-'], { input: dsYaml('bad', { extraSpec: '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\n' }) });
    assert.match(r.stderr, /spec\.updateStrategy\.rollingUpdate\.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero/);
    const body = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'bad' },
      spec: { selector: { matchLabels: { a: 'b' } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const res = await c.raw('POST', '/apis/apps/v1/namespaces/default/daemonsets', { body });
    assert.equal(res.code, 422);
    assert.deepEqual(
      res.json.details.causes.map((x: any) => [x.field, x.message]),
      [['spec.updateStrategy.rollingUpdate.maxUnavailable', 'Invalid value: "150%": must not be greater than 100%']],
    );
  });
});
