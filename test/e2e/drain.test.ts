/**
 * PodDisruptionBudgets, the eviction subresource and `kubectl drain` with the real
 * kubectl on simulated nodes: budget status and `kubectl get pdb`, validation messages,
 * direct evictions (201, 429 with the DisruptionBudget cause, 500 with two budgets,
 * unready and terminal pods), and drains that move a Deployment's pods or are held back
 * by a budget.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { Cluster, kubectlVersion } from './cluster.js';
import { watchLines } from './watch.js';

const NS = 'default';

function pdb(name: string, spec: any): string {
  return JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: NS }, spec });
}

function pod(name: string, labels: Record<string, string>, spec: any = {}, meta: any = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels, ...meta }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'inf'] }], ...spec } });
}

const evictionBody = (name: string, extra: any = {}) => JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS }, ...extra });

describe('disruption budgets, eviction and drain', () => {
  let c: Cluster;
  const getPdb = (name: string) => c.getJson(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}`);
  /** Waits until the controller has observed the budget's generation and its status passes check. */
  const settled = (name: string, check: (s: any) => boolean) =>
    c.until(`pdb ${name} settled`, async () => {
      const b = await getPdb(name);
      return b.status?.observedGeneration === b.metadata.generation && check(b.status) ? b : undefined;
    });
  const evict = (name: string, extra: any = {}) => c.raw('POST', `/api/v1/namespaces/${NS}/pods/${name}/eviction`, { body: evictionBody(name, extra) });
  const ready = (name: string) => c.until(`${name} ready`, async () => ((await c.getJson(`/api/v1/namespaces/${NS}/pods/${name}`)).status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True'));

  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '2']);
    await c.until('2 nodes with pod CIDRs', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 2);
  });
  after(async () => {
    await c?.destroy();
  });

  it('computes the budget status and shows ALLOWED DISRUPTIONS in kubectl get pdb', async () => {
    await c.k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3']);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await c.k(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2']);
    const b = await settled('web', (s) => s.currentHealthy === 3);
    assert.deepEqual({ ...b.status, conditions: undefined }, { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: undefined });
    const cond = b.status.conditions.find((x: any) => x.type === 'DisruptionAllowed');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'SufficientPods');
    const out = await c.k(['get', 'pdb', 'web']);
    assert.match(out, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    assert.match(out, /\nweb\s+2\s+N\/A\s+1\s+\d+[smhd]\S*\n/);

    // maxUnavailable 50% of the Deployment's 3 replicas: ceil(1.5) = 2 may go, 1 must stay.
    await c.k(['create', 'pdb', 'web-half', '--selector=app=web', '--max-unavailable=50%']);
    const h = await settled('web-half', (s) => s.currentHealthy === 3);
    assert.deepEqual([h.status.expectedPods, h.status.desiredHealthy, h.status.disruptionsAllowed], [3, 1, 2]);
    assert.match(await c.k(['get', 'pdb', 'web-half']), /\nweb-half\s+N\/A\s+50%\s+2\s+/);
    // Scaling the Deployment moves the percent's base.
    await c.k(['scale', 'deployment/web', '--replicas=4']);
    await settled('web-half', (s) => s.expectedPods === 4 && s.currentHealthy === 4 && s.desiredHealthy === 2 && s.disruptionsAllowed === 2);
    await c.k(['scale', 'deployment/web', '--replicas=3']);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await c.k(['delete', 'pdb', 'web-half']);

    // A StatefulSet's and a bare ReplicaSet's replicas are the base as well.
    const tmpl = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: NS }, spec: { replicas: 2, serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'db' } }, template: tmpl('db') } }) });
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo', namespace: NS }, spec: { replicas: 4, selector: { matchLabels: { app: 'solo' } }, template: tmpl('solo') } }) });
    await c.k(['create', 'pdb', 'db', '--selector=app=db', '--max-unavailable=1']);
    await c.k(['create', 'pdb', 'solo', '--selector=app=solo', '--min-available=25%']);
    await settled('db', (s) => s.expectedPods === 2 && s.desiredHealthy === 1 && s.currentHealthy === 2 && s.disruptionsAllowed === 1);
    await settled('solo', (s) => s.expectedPods === 4 && s.desiredHealthy === 1 && s.currentHealthy === 4 && s.disruptionsAllowed === 3);
    await c.k(['delete', 'pdb', 'db', 'solo']);
    await c.k(['delete', 'statefulset', 'db']);
    await c.k(['delete', 'replicaset', 'solo']);

    // A percent over pods whose controller has no scale (a DaemonSet) cannot be computed: the budget fails safe.
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: NS }, spec: { selector: { matchLabels: { app: 'ds' } }, template: { metadata: { labels: { app: 'ds' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } }) });
    await c.k(['create', 'pdb', 'ds', '--selector=app=ds', '--min-available=50%']);
    const f = await c.until('SyncFailed', async () => {
      const s = (await getPdb('ds')).status;
      const x = (s?.conditions ?? []).find((y: any) => y.type === 'DisruptionAllowed');
      return x?.reason === 'SyncFailed' ? { s, x } : undefined;
    });
    assert.equal(f.x.status, 'False');
    assert.equal(f.x.message, 'daemonsets.apps does not implement the scale subresource');
    assert.equal(f.s.disruptionsAllowed, 0);
    await c.k(['delete', 'pdb', 'ds']);
    await c.k(['delete', 'daemonset', 'ds']);
  });

  it('rejects invalid budgets with upstream messages', async () => {
    const bad = async (spec: any) => {
      const r = await c.kubectl(['apply', '-f', '-'], { input: pdb('bad', spec) });
      assert.notEqual(r.code, 0);
      return r.stderr;
    };
    assert.match(await bad({ minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } }), /spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set/);
    assert.match(await bad({ minAvailable: '150%' }), /spec.minAvailable: Invalid value: "150%": must not be greater than 100%/);
    assert.match(await bad({ maxUnavailable: -1 }), /spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0/);
    assert.match(await bad({ maxUnavailable: 'ten' }), /spec.maxUnavailable: Invalid value: "ten": a valid percent string must be a numeric string followed by an ending '%'/);
    assert.match(await bad({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' }), /spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"/);
  });

  it('evicts within the budget, answers 429 with the DisruptionBudget cause beyond it', async () => {
    // Pods held by a finalizer stay (terminating) after eviction, so the result can be read.
    const hold = { finalizers: ['example.com/hold'] };
    for (const n of ['held-0', 'held-1']) await c.k(['apply', '-f', '-'], { input: pod(n, { app: 'held' }, {}, hold) });
    await Promise.all(['held-0', 'held-1'].map(ready));
    await c.k(['apply', '-f', '-'], { input: pdb('held', { minAvailable: 1, selector: { matchLabels: { app: 'held' } } }) });
    await settled('held', (s) => s.disruptionsAllowed === 1);
    const w = watchLines(c, `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets?watch=true&fieldSelector=metadata.name%3Dheld&resourceVersion=${(await getPdb('held')).metadata.resourceVersion}`);
    await w.ready;
    try {
      const ok = await evict('held-0');
      assert.equal(ok.code, 201, ok.body);
      assert.deepEqual(ok.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      const p0 = await c.getJson(`/api/v1/namespaces/${NS}/pods/held-0`);
      assert.ok(p0.metadata.deletionTimestamp);
      const dt = p0.status.conditions.find((x: any) => x.type === 'DisruptionTarget');
      assert.deepEqual([dt.status, dt.reason, dt.message], ['True', 'EvictionByEvictionAPI', 'Eviction API: evicting']);
      // The eviction took the disruption and recorded the pod before deleting it.
      const recorded = await c.until('disruptedPods entry', async () => w.lines.find((e) => e.object?.status?.disruptedPods?.['held-0']));
      assert.equal(recorded.object.status.disruptionsAllowed, 0);
    } finally {
      w.close();
    }
    await settled('held', (s) => s.currentHealthy === 1 && s.disruptionsAllowed === 0 && !s.disruptedPods);
    const no = await evict('held-1');
    assert.equal(no.code, 429);
    assert.deepEqual(no.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget held needs 1 healthy pods and has 1 currently' }] },
      code: 429,
    });
    assert.ok(!(await c.getJson(`/api/v1/namespaces/${NS}/pods/held-1`)).metadata.deletionTimestamp);
    // A terminating pod is evicted again without consulting the budget.
    assert.equal((await evict('held-0')).code, 201);
    // Two budgets over one pod: the subresource does not support it.
    await c.k(['apply', '-f', '-'], { input: pdb('held-too', { maxUnavailable: 1, selector: { matchLabels: { app: 'held' } } }) });
    const two = await evict('held-1');
    assert.equal(two.code, 500);
    assert.equal(two.json.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    await c.k(['delete', 'pdb', 'held', 'held-too']);
    for (const n of ['held-0', 'held-1']) {
      await c.k(['delete', 'pod', n, '--wait=false']);
      await c.k(['patch', 'pod', n, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
  });

  it('evicts unready pods per unhealthyPodEvictionPolicy, and terminal pods freely', async () => {
    const probe = { readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } };
    await c.k(['apply', '-f', '-'], { input: pod('fine', { app: 'mix' }) });
    await c.k(['apply', '-f', '-'], { input: pod('sick', { app: 'mix' }, { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'inf'], ...probe }] }) });
    await c.k(['apply', '-f', '-'], { input: pod('done', { app: 'mix' }, { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['true'] }] }) });
    await c.until('done Succeeded', async () => (await c.getJson(`/api/v1/namespaces/${NS}/pods/done`)).status?.phase === 'Succeeded');
    await c.until('sick Running', async () => (await c.getJson(`/api/v1/namespaces/${NS}/pods/sick`)).status?.phase === 'Running');
    await ready('fine');
    // Two must be healthy, one is: nothing may be disrupted.
    await c.k(['apply', '-f', '-'], { input: pdb('mix', { minAvailable: 2, selector: { matchLabels: { app: 'mix' } } }) });
    await settled('mix', (s) => s.currentHealthy === 1 && s.desiredHealthy === 2 && s.expectedPods === 3 && s.disruptionsAllowed === 0);
    // IfHealthyBudget (the default): the budget is not met, so even the unready pod is refused.
    const refused = await evict('sick');
    assert.equal(refused.code, 429);
    assert.equal(refused.json.details.causes[0].message, 'The disruption budget mix needs 2 healthy pods and has 1 currently');
    // A pod that already finished disrupts nothing.
    assert.equal((await evict('done')).code, 201);
    await c.until('done gone', async () => (await c.raw('GET', `/api/v1/namespaces/${NS}/pods/done`)).code === 404);
    await c.k(['patch', 'pdb', 'mix', '--type=merge', '-p', '{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}']);
    await settled('mix', (s) => s.disruptionsAllowed === 0);
    assert.equal((await evict('sick')).code, 201);
    // The ready pod is still guarded.
    assert.equal((await evict('fine')).code, 429);
    await c.k(['delete', 'pdb', 'mix']);
    await c.k(['delete', 'pod', 'fine', 'sick', '--wait=false', '--ignore-not-found']);
  });

  it('drains a node: a budget at the replica count holds the drain, one with room lets the pods move', async () => {
    // The Deployment "web" (3 replicas) and its budget "web" are from the first test.
    await c.k(['patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":3}}']);
    await settled('web', (s) => s.disruptionsAllowed === 0 && s.desiredHealthy === 3);
    const pods = (await c.getJson(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`)).items;
    const node = pods[0].spec.nodeName as string;
    const other = node === 'sim-node-0' ? 'sim-node-1' : 'sim-node-0';
    const held = await c.kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=5s']);
    assert.notEqual(held.code, 0);
    assert.match(held.stdout + held.stderr, /error when evicting pods\/"web-[a-z0-9-]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(held.stderr, /global timeout reached: 5s/);
    // Hollow nodes run on this machine's kernel and say so, as a kubelet does.
    assert.equal(await c.k(['get', 'node', node, '-o', 'jsonpath={.status.nodeInfo.kernelVersion}']), release());
    // kubectl get nodes: VERSION after AGE without -o wide, as upstream's node printer.
    assert.match(await c.k(['get', 'node', node]), new RegExp(`^NAME\\s+STATUS\\s+ROLES\\s+AGE\\s+VERSION\\n${node}\\s+Ready,SchedulingDisabled\\s+<none>\\s+\\S+\\s+v1\\.\\d+`));
    const still = (await c.getJson(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`)).items.filter((p: any) => p.spec.nodeName === node && !p.metadata.deletionTimestamp);
    assert.ok(still.length > 0, 'the budget kept the pods on the node');

    // One disruption at a time: drain evicts, waits for the replacement to be ready elsewhere, retries.
    await c.k(['patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":2}}']);
    await settled('web', (s) => s.disruptionsAllowed === 1);
    const bin = kubectlVersion(27) ?? 'kubectl';
    const out = await c.k(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s'], { bin });
    assert.match(out, new RegExp(`node/${node} drained`));
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const after = (await c.getJson(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`)).items.filter((p: any) => !p.metadata.deletionTimestamp);
    assert.equal(after.length, 3);
    assert.ok(after.every((p: any) => p.spec.nodeName === other), `all on ${other}: ${after.map((p: any) => p.spec.nodeName)}`);
    await c.k(['uncordon', node]);
    await settled('web', (s) => s.currentHealthy === 3 && s.disruptionsAllowed === 1);
    assert.match(await c.k(['get', 'pdb', 'web']), /\nweb\s+2\s+N\/A\s+1\s+/);
  });
});
