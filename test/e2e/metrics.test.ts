/**
 * Resource metrics and the HorizontalPodAutoscaler end to end, with the real kubectl
 * against a `skiff server` running simulated nodes, whose usage is deterministic: half
 * of each container's requests, or the pod's skiff.dev/simulate-cpu-usage /
 * skiff.dev/simulate-memory-usage annotations (the simulated-node test hook). Scrapes,
 * HPA syncs and the downscale stabilization window are shortened by flags.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, kubectlVersion } from './cluster.js';

const pinned = (name: string, node: string, annotations: string, containers: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: top, pod: ${name}}${annotations ? `, annotations: {${annotations}}` : ''}}
spec:
  nodeName: ${node}
  containers: ${containers}
`;

const deployment = (name: string, replicas: number, cpuUsage: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {skiff.dev/simulate-cpu-usage: ${cpuUsage}}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, inf], resources: {requests: {cpu: 100m, memory: 32Mi}}}]
`;

/** A table's rows as arrays of cells (kubectl's columns are separated by 2+ spaces). */
const rows = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe('resource metrics and horizontal pod autoscaling', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start([
      '--simulated-nodes',
      '2',
      '--metric-resolution',
      '500ms',
      '--horizontal-pod-autoscaler-sync-period',
      '1s',
      '--horizontal-pod-autoscaler-downscale-stabilization',
      '3s',
      '--horizontal-pod-autoscaler-cpu-initialization-period',
      '1s',
    ]);
    await c.until('2 nodes', async () => (await c.getJson('/api/v1/nodes')).items.length === 2);
  });
  after(async () => {
    assert.equal(await c?.stop(), 0);
    await c?.destroy();
  });

  it('serves metrics.k8s.io: discovery, kubectl top node / pod --containers, NodeMetrics and PodMetrics objects', async () => {
    const groups = await c.getJson('/apis');
    const g = groups.groups.find((x: any) => x.name === 'metrics.k8s.io');
    assert.deepEqual(g?.preferredVersion, { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' });
    const resources = (await c.getJson('/apis/metrics.k8s.io/v1beta1')).resources.map((r: any) => `${r.name}:${r.kind}:${r.namespaced}:${r.verbs.join(',')}`);
    assert.deepEqual(resources.sort(), ['nodes:NodeMetrics:false:get,list', 'pods:PodMetrics:true:get,list']);

    const twoContainers = `[{name: a, image: busybox, command: [sleep, inf], resources: {requests: {cpu: 200m, memory: 128Mi}}}, {name: b, image: busybox, command: [sleep, inf], resources: {requests: {cpu: 100m, memory: 64Mi}}}]`;
    const one = `[{name: c, image: busybox, command: [sleep, inf]}]`;
    await c.k(['apply', '-f', '-'], { input: [pinned('dual', 'sim-node-0', '', twoContainers), pinned('hot', 'sim-node-1', 'skiff.dev/simulate-cpu-usage: 300m, skiff.dev/simulate-memory-usage: 10Mi', one)].join('---\n') });
    await c.k(['wait', '--for=condition=Ready', 'pod/dual', 'pod/hot', '--timeout=30s']);

    const top = await c.until('kubectl top pod shows both pods', async () => {
      const r = await c.kubectl(['top', 'pod', '--containers', '-l', 'app=top']);
      return r.code === 0 && rows(r.stdout).length === 4 && r.stdout;
    });
    assert.deepEqual(rows(top), [
      ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['dual', 'a', '100m', '64Mi'],
      ['dual', 'b', '50m', '32Mi'],
      ['hot', 'c', '300m', '10Mi'],
    ]);
    assert.deepEqual(rows(await c.k(['top', 'pod', '-A', '-l', 'pod=dual'])), [
      ['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['default', 'dual', '150m', '96Mi'],
    ]);

    // The nodes' usage is the sum of their pods' (4 cpu, 16Gi allocatable each).
    const nodes = await c.until('kubectl top node shows both nodes', async () => {
      const r = await c.kubectl(['top', 'node']);
      return r.code === 0 && !r.stdout.includes('<unknown>') && r.stdout;
    });
    assert.deepEqual(rows(nodes), [
      ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'],
      ['sim-node-0', '150m', '3%', '96Mi', '0%'],
      ['sim-node-1', '300m', '7%', '10Mi', '0%'],
    ]);

    const pm = JSON.parse(await c.k(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/dual']));
    assert.equal(pm.kind, 'PodMetrics');
    assert.equal(pm.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.deepEqual(pm.metadata.labels, { app: 'top', pod: 'dual' });
    assert.match(pm.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(pm.window, /^\d+(\.\d+)?m?s$/);
    assert.deepEqual(pm.containers, [
      { name: 'a', usage: { cpu: '100m', memory: '64Mi' } },
      { name: 'b', usage: { cpu: '50m', memory: '32Mi' } },
    ]);
    // metrics-server's server-side table: the pod's usage summed over its containers.
    const pmTable = rows(await c.k(['get', 'podmetrics', 'dual']));
    assert.deepEqual(pmTable[0], ['NAME', 'CPU', 'MEMORY', 'WINDOW']);
    assert.deepEqual(pmTable[1].slice(0, 3), ['dual', '150m', '96Mi']);
    const nm = JSON.parse(await c.k(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/sim-node-1']));
    assert.equal(nm.kind, 'NodeMetrics');
    assert.deepEqual(nm.usage, { cpu: '300m', memory: '10Mi' });
    assert.equal(nm.metadata.labels['node.skiff.dev/simulated'], 'true');
    const list = JSON.parse(await c.k(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=kubernetes.io/hostname%3Dsim-node-0']));
    assert.equal(list.kind, 'NodeMetricsList');
    assert.deepEqual(
      list.items.map((i: any) => i.metadata.name),
      ['sim-node-0'],
    );
    const missing = await c.kubectl(['top', 'pod', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nope" not found/);
    // A pod that exists but has no metrics (never runs: its node does not exist).
    await c.k(['apply', '-f', '-'], { input: pinned('nowhere', 'no-such-node', '', `[{name: c, image: busybox}]`) });
    const unmeasured = await c.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nowhere']);
    assert.notEqual(unmeasured.code, 0);
    assert.match(unmeasured.stderr, /podmetrics.metrics.k8s.io "default\/nowhere" not found/);
    await c.k(['delete', 'pod', 'nowhere', '--wait=false']);
    // view (through system:aggregated-metrics-reader) reads pod metrics in its namespace; nodes are cluster-scoped.
    await c.k(['create', 'rolebinding', 'jane-view', '--clusterrole=view', '--user=jane', '-n', 'default']);
    const viewer = await c.until('view aggregates metrics.k8s.io', async () => {
      const r = await c.kubectl(['top', 'pod', 'hot', '--as=jane']);
      return r.code === 0 && r.stdout;
    });
    assert.deepEqual(rows(viewer)[1], ['hot', '300m', '10Mi']);
    const denied = await c.kubectl(['top', 'node', '--as=jane']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /nodes.metrics.k8s.io is forbidden: User "jane" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope/);
    // An older kubectl (legacy discovery) too.
    const old = kubectlVersion(27) ?? kubectlVersion(28);
    if (old) assert.deepEqual(rows(await c.k(['top', 'pod', 'hot'], { bin: old }))[1], ['hot', '300m', '10Mi']);
    await c.k(['delete', 'pod', 'dual', 'hot', '--wait=false']);
  });

  it('scales a Deployment above its cpu target up (kubectl autoscale), with kubectl get hpa columns', async () => {
    await c.k(['apply', '-f', '-'], { input: deployment('busy', 1, '90m') });
    await c.k(['autoscale', 'deployment', 'busy', '--cpu-percent=50', '--min=1', '--max=3']);
    await c.until('busy scaled to 3', async () => (await c.getJson('/apis/apps/v1/namespaces/default/deployments/busy')).spec.replicas === 3, 60_000);
    const hpa = await c.until('status shows 3 replicas at 90%', async () => {
      const h = await c.getJson('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/busy');
      return h.status?.currentReplicas === 3 && h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization === 90 && h;
    }, 60_000);
    assert.deepEqual(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    assert.deepEqual(hpa.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '90m', averageUtilization: 90 } } }]);
    const conds = Object.fromEntries(hpa.status.conditions.map((x: any) => [x.type, `${x.status}/${x.reason}`]));
    assert.equal(conds.ScalingActive, 'True/ValidMetricFound');
    assert.equal(conds.ScalingLimited, 'True/TooManyReplicas');
    assert.match(conds.AbleToScale, /^True\//);
    const table = rows(await c.k(['get', 'hpa', 'busy']));
    assert.deepEqual(table[0], ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    assert.deepEqual(table[1].slice(0, 6), ['busy', 'Deployment/busy', 'cpu: 90%/50%', '1', '3', '3']);
    const events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=busy,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /New size: 2; reason: cpu resource utilization \(percentage of request\) above target/);
    // The same object through autoscaling/v1.
    const v1 = JSON.parse(await c.k(['get', 'horizontalpodautoscalers.v1.autoscaling', 'busy', '-o', 'json']));
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(v1.status.currentCPUUtilizationPercentage, 90);
    assert.ok(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions']).length >= 3);
  });

  it('scales a Deployment below its target down after the stabilization window (autoscaling/v2 manifest)', async () => {
    await c.k(['apply', '-f', '-'], { input: deployment('idle', 4, '10m') });
    await c.until('idle has 4 ready pods', async () => (await c.getJson('/apis/apps/v1/namespaces/default/deployments/idle')).status?.readyReplicas === 4, 60_000);
    // Every pod measured first: a pod without metrics would count at its full request and propose 3 on the way down.
    await c.until('metrics for the 4 pods', async () => (await c.getJson('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Didle')).items.length === 4);
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: idle, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: idle}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`,
    });
    // 4 pods at 10% of their requests want ceil(4 × 10/50) = 1 replica, once 3 s of higher recommendations have passed.
    await c.until('idle scaled to 1', async () => (await c.getJson('/apis/apps/v1/namespaces/default/deployments/idle')).spec.replicas === 1, 60_000);
    const events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=idle,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
    assert.equal(events, 'New size: 1; reason: All metrics below target');
    const h = await c.until('status shows the scale-down', async () => {
      const x = await c.getJson('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/idle');
      return x.status?.desiredReplicas === 1 && x.status?.lastScaleTime && x;
    });
    assert.ok(h.status.lastScaleTime);
  });

  it('scales a StatefulSet on average memory, at the pace its behavior allows', async () => {
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mem, namespace: default}
spec:
  replicas: 1
  serviceName: mem
  selector: {matchLabels: {app: mem}}
  template:
    metadata: {labels: {app: mem}, annotations: {skiff.dev/simulate-memory-usage: 100Mi}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, inf], resources: {requests: {cpu: 10m, memory: 64Mi}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: mem, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: mem}
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 50Mi}}
  behavior:
    scaleUp:
      policies: [{type: Pods, value: 1, periodSeconds: 600}]
`,
    });
    // 100Mi per pod against 50Mi wants twice the pods; the policy allows one more per 10 minutes.
    const h = await c.until('mem limited at 2 replicas by its scale-up policy', async () => {
      const x = await c.getJson('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/mem');
      const limited = (x.status?.conditions ?? []).find((k: any) => k.type === 'ScalingLimited');
      return x.status?.currentReplicas === 2 && limited?.status === 'True' && x;
    }, 60_000);
    const limited = h.status.conditions.find((k: any) => k.type === 'ScalingLimited');
    assert.deepEqual([limited.reason, limited.message], ['ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']);
    assert.deepEqual(h.spec.behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 600 }] });
    assert.equal((await c.getJson('/apis/apps/v1/namespaces/default/statefulsets/mem')).spec.replicas, 2);
    assert.deepEqual(h.status.currentMetrics, [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '104857600' } } }]);
    assert.deepEqual(rows(await c.k(['get', 'hpa', 'mem', '--no-headers']))[0].slice(0, 6), ['mem', 'StatefulSet/mem', 'memory: 104857600/50Mi', '1', '4', '2']);
  });

  it('rejects invalid HPAs with upstream messages', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: bad, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}
  minReplicas: 3
  maxReplicas: 2
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization}}
`,
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
    assert.match(r.stderr, /spec.metrics\[0\].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization/);
    // The v2 schema is published: strict field validation and kubectl explain.
    const typo = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: typo, namespace: default}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}\n  maxReplicas: 2\n  maxReplica: 3\n' });
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /unknown field "spec.maxReplica"/);
    assert.match(await c.k(['explain', 'hpa.spec.behavior.scaleDown']), /stabilizationWindowSeconds\s+<integer>/);
  });

  it('serves autoscaling/v1 from the same objects: a v1 write answers as a read would (v2 defaults), v2 sees it', async () => {
    const created = JSON.parse(
      await c.k(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'legacy', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nothing' }, maxReplicas: 3 } }) }),
    );
    assert.equal(created.apiVersion, 'autoscaling/v1');
    assert.deepEqual(created.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nothing' }, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 });
    const v2 = await c.getJson('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/legacy');
    assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    await c.k(['delete', 'hpa', 'legacy']);
  });

  it('takes kubectl autoscale from other kubectl versions (protobuf bodies)', async (t) => {
    const versions = [27, 33].map((v) => kubectlVersion(v)).filter((b): b is string => !!b);
    if (!versions.length) return t.skip('no kubectl.1.27/1.33 installed beside kubectl');
    await c.k(['create', 'deployment', 'other', '--image=busybox', '--', 'sleep', 'inf']);
    for (const [i, bin] of versions.entries()) {
      await c.k(['autoscale', 'deployment', 'other', `--name=other-${i}`, '--cpu-percent=70', '--min=2', '--max=4'], { bin });
      const h = await c.getJson(`/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/other-${i}`);
      assert.deepEqual([h.spec.minReplicas, h.spec.maxReplicas, h.spec.metrics[0].resource.target.averageUtilization, h.spec.scaleTargetRef.name], [2, 4, 70, 'other'], bin);
    }
    if (versions.length < 2) return;
    // Two HPAs over the same pods: neither scales (AmbiguousSelector).
    const ambiguous = await c.until('other-1: AmbiguousSelector', async () => {
      const h = await c.getJson('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/other-1');
      const x = (h.status?.conditions ?? []).find((k: any) => k.type === 'ScalingActive');
      return x?.reason === 'AmbiguousSelector' && x;
    });
    assert.equal(ambiguous.status, 'False');
    assert.equal(ambiguous.message, 'pods by selector app=other are controlled by multiple HPAs: [{other-0 default} {other-1 default}]');
  });

  it('reports why it cannot scale: a target without cpu requests, a missing target', async () => {
    await c.k(['create', 'deployment', 'noreq', '--image=busybox', '--', 'sleep', 'inf']);
    await c.k(['autoscale', 'deployment', 'noreq', '--cpu-percent=50', '--max=2']);
    await c.k(['autoscale', 'deployment', 'noreq', '--cpu-percent=50', '--max=2', '--name=ghost', '--dry-run=client', '-o', 'json']).then((j) => {
      const h = JSON.parse(j);
      h.spec.scaleTargetRef.name = 'ghost';
      return c.k(['apply', '-f', '-'], { input: JSON.stringify(h) });
    });
    const cond = async (name: string, type: string) => {
      const h = await c.getJson(`/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/${name}`);
      return (h.status?.conditions ?? []).find((x: any) => x.type === type);
    };
    // (Until its pod has been scraped the message is "no metrics returned from resource metrics API".)
    const active = await c.until('noreq: ScalingActive False for the missing request', async () => {
      const x = await cond('noreq', 'ScalingActive');
      return x?.status === 'False' && /missing request/.test(x.message) && x;
    });
    assert.equal(active.reason, 'FailedGetResourceMetric');
    assert.match(active.message, /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container busybox of Pod noreq-/);
    const able = await c.until('ghost: AbleToScale False', async () => {
      const x = await cond('ghost', 'AbleToScale');
      return x?.status === 'False' && x;
    });
    assert.equal(able.reason, 'FailedGetScale');
    assert.equal(able.message, `the HPA controller was unable to get the target's current scale: deployments.apps "ghost" not found`);
    const table = rows(await c.k(['get', 'hpa', 'noreq', 'ghost', '--no-headers']));
    assert.deepEqual(
      table.map((r) => r.slice(0, 6)),
      [
        ['noreq', 'Deployment/noreq', 'cpu: <unknown>/50%', '1', '2', '1'],
        ['ghost', 'Deployment/ghost', 'cpu: <unknown>/50%', '1', '2', '0'],
      ],
    );
  });
});
