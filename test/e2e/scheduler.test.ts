/**
 * The scheduler through kubectl on simulated nodes: explained failures, spreading and
 * bin packing, node selectors and affinity, taints, pod anti-affinity, topology spread,
 * host ports, cordon and drain, preemption, and pods left to another scheduler.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';

const CONFIG = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources:
        - {name: cpu, weight: 1}
        - {name: memory, weight: 1}
  plugins:
    score:
      disabled:
      - {name: PodTopologySpread}
      - {name: NodeResourcesBalancedAllocation}
`;

function pod(name: string, o: { cpu?: string; labels?: Record<string, string>; spec?: any; ns?: string } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', labels: o.labels ?? { app: name } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', 'inf'], resources: { requests: { cpu: o.cpu ?? '100m', memory: '64Mi' } } }], ...(o.spec ?? {}) },
  });
}

describe('scheduler', () => {
  let c: Cluster;
  let dir: string;
  const nodeOf = async (name: string, ns = 'default') => (await c.getJson(`/api/v1/namespaces/${ns}/pods/${name}`)).spec.nodeName as string | undefined;
  const scheduled = (name: string, ns = 'default') => c.until(`${name} scheduled`, () => nodeOf(name, ns));
  const condition = async (name: string) => ((await c.getJson(`/api/v1/namespaces/default/pods/${name}`)).status.conditions ?? []).find((x: any) => x.type === 'PodScheduled');
  const unschedulable = (name: string) => c.until(`${name} unschedulable`, async () => {
    const cond = await condition(name);
    return cond?.status === 'False' && cond.reason === 'Unschedulable' ? cond : undefined;
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-sched-'));
    writeFileSync(join(dir, 'sched.yaml'), CONFIG);
    c = await Cluster.start(['--simulated-nodes', '3', '--simulated-node-capacity', 'cpu=2,memory=4Gi,pods=30', '--scheduler-config', join(dir, 'sched.yaml')]);
    await c.until('3 nodes with pod CIDRs', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 3);
    for (const [i, z] of ['a', 'b', 'c'].entries()) await c.k(['label', 'node', `sim-node-${i}`, `topology.kubernetes.io/zone=zone-${z}`]);
  });
  after(async () => {
    await c.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('explains why a pod too big for every node stays Pending', async () => {
    await c.k(['apply', '-f', '-'], { input: pod('huge', { cpu: '64' }) });
    const cond = await unschedulable('huge');
    assert.equal(cond.message, '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    const describe = await c.k(['describe', 'pod', 'huge']);
    assert.match(describe, /FailedScheduling/);
    assert.match(describe, /3 Insufficient cpu/);
    // Upstream's event table: no NAME first; SUBOBJECT, SOURCE, FIRST SEEN, COUNT and NAME only with -o wide.
    assert.match(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=huge']), /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\S+\s+Warning\s+FailedScheduling\s+pod\/huge\s+0\/3 nodes/);
    assert.match(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=huge', '-o', 'wide']), /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+SUBOBJECT\s+SOURCE\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME\n\S+\s+Warning\s+FailedScheduling\s+pod\/huge\s+default-scheduler\s+0\/3 nodes.*\s\d+\s+huge\.[0-9a-f]+\n/);
    await c.k(['delete', 'pod', 'huge', '--wait=false']);
  });

  it('spreads 3 replicas over 3 nodes, and the MostAllocated profile packs them', async () => {
    await c.k(['create', 'deployment', 'spread', '--image=busybox:1.36', '--replicas=3']);
    await c.k(['rollout', 'status', 'deployment/spread', '--timeout=60s']);
    const nodes = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dspread')).items.map((p: any) => p.spec.nodeName);
    assert.equal(new Set(nodes).size, 3, `spread over ${nodes}`);
    for (let i = 0; i < 3; i++) await c.k(['apply', '-f', '-'], { input: pod(`packed-${i}`, { cpu: '300m', labels: { app: 'packed' }, spec: { schedulerName: 'bin-packing' } }) });
    const packed = await Promise.all([0, 1, 2].map((i) => scheduled(`packed-${i}`)));
    assert.equal(new Set(packed).size, 1, `packed onto one node: ${packed}`);
    await c.k(['delete', 'deployment', 'spread']);
    await c.k(['delete', 'pod', '-l', 'app=packed', '--wait=false']);
  });

  it('honours nodeSelector and required/preferred node affinity', async () => {
    await c.k(['label', 'node', 'sim-node-1', 'disk=ssd']);
    await c.k(['apply', '-f', '-'], { input: pod('sel', { spec: { nodeSelector: { disk: 'ssd' } } }) });
    assert.equal(await scheduled('sel'), 'sim-node-1');
    const req = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-c'] }] }] } } };
    await c.k(['apply', '-f', '-'], { input: pod('req', { spec: { affinity: req } }) });
    assert.equal(await scheduled('req'), 'sim-node-2');
    const pref = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] } }] } };
    await c.k(['apply', '-f', '-'], { input: pod('pref', { spec: { affinity: pref } }) });
    assert.equal(await scheduled('pref'), 'sim-node-0');
    await c.k(['apply', '-f', '-'], { input: pod('nowhere', { spec: { nodeSelector: { disk: 'nvme' } } }) });
    assert.match((await unschedulable('nowhere')).message, /^0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);
    await c.k(['delete', 'pod', 'sel', 'req', 'pref', 'nowhere', '--wait=false']);
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    for (let i = 0; i < 3; i++) await c.k(['taint', 'node', `sim-node-${i}`, 'dedicated=gpu:NoSchedule']);
    await c.k(['apply', '-f', '-'], { input: pod('intolerant') });
    assert.match((await unschedulable('intolerant')).message, /3 node\(s\) had untolerated taint \{dedicated: gpu\}/);
    await c.k(['apply', '-f', '-'], { input: pod('tolerant', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } }) });
    await scheduled('tolerant');
    for (let i = 0; i < 3; i++) await c.k(['taint', 'node', `sim-node-${i}`, 'dedicated=gpu:NoSchedule-']);
    await scheduled('intolerant');
    await c.k(['delete', 'pod', 'intolerant', 'tolerant', '--wait=false']);
  });

  it('places one anti-affine pod per node; the 4th stays Pending', async () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    for (let i = 0; i < 4; i++) await c.k(['apply', '-f', '-'], { input: pod(`solo-${i}`, { labels: { app: 'solo' }, spec: { affinity: anti } }) });
    const placed: string[] = [];
    let pendingName = '';
    await c.until('3 placed and 1 pending', async () => {
      placed.length = 0;
      for (let i = 0; i < 4; i++) {
        const n = await nodeOf(`solo-${i}`);
        if (n) placed.push(n);
        else pendingName = `solo-${i}`;
      }
      return placed.length === 3;
    });
    assert.equal(new Set(placed).size, 3);
    assert.match((await unschedulable(pendingName)).message, /didn't match pod anti-affinity rules/);
    await c.k(['delete', 'pod', '-l', 'app=solo', '--wait=false']);
  });

  it('spreads over zones with maxSkew 1', async () => {
    const tsc = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'zonal' } } }];
    for (let i = 0; i < 6; i++) await c.k(['apply', '-f', '-'], { input: pod(`zonal-${i}`, { labels: { app: 'zonal' }, spec: { topologySpreadConstraints: tsc } }) });
    const nodes = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => scheduled(`zonal-${i}`)));
    const per = new Map<string, number>();
    for (const n of nodes) per.set(n, (per.get(n) ?? 0) + 1);
    assert.deepEqual([...per.values()].sort(), [2, 2, 2]);
    await c.k(['delete', 'pod', '-l', 'app=zonal', '--wait=false']);
  });

  it('refuses a host port already taken on every node', async () => {
    const hp = { containers: [{ name: 'c', image: 'busybox:1.36', ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    for (let i = 0; i < 4; i++) await c.k(['apply', '-f', '-'], { input: pod(`hp-${i}`, { labels: { app: 'hp' }, spec: hp }) });
    let pendingName = '';
    await c.until('3 placed', async () => {
      let n = 0;
      for (let i = 0; i < 4; i++) (await nodeOf(`hp-${i}`)) ? n++ : (pendingName = `hp-${i}`);
      return n === 3;
    });
    assert.match((await unschedulable(pendingName)).message, /3 node\(s\) didn't have free ports for the requested pod ports/);
    await c.k(['delete', 'pod', '-l', 'app=hp', '--wait=false']);
  });

  it('avoids cordoned nodes and drains them through evictions', async () => {
    await c.k(['cordon', 'sim-node-0']);
    assert.match(await c.k(['get', 'node', 'sim-node-0']), /SchedulingDisabled/);
    await c.k(['create', 'deployment', 'drainme', '--image=busybox:1.36', '--replicas=4']);
    await c.k(['rollout', 'status', 'deployment/drainme', '--timeout=60s']);
    let pods = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Ddrainme')).items;
    assert.ok(pods.every((p: any) => p.spec.nodeName !== 'sim-node-0'));
    await c.k(['uncordon', 'sim-node-0']);
    const out = await c.k(['drain', 'sim-node-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
    assert.match(out, /node\/sim-node-1 drained/);
    await c.k(['rollout', 'status', 'deployment/drainme', '--timeout=60s']);
    pods = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Ddrainme')).items.filter((p: any) => !p.metadata.deletionTimestamp);
    assert.equal(pods.length, 4);
    assert.ok(pods.every((p: any) => p.spec.nodeName !== 'sim-node-1'));
    await c.k(['uncordon', 'sim-node-1']);
    await c.k(['delete', 'deployment', 'drainme']);
  });

  it('preempts the fewest lower-priority pods for a high-priority one', async () => {
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 }) });
    await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10 }) });
    // Fill every node: 2 cpu each, 1.5 cpu of low-priority pods per node.
    for (let i = 0; i < 3; i++) await c.k(['apply', '-f', '-'], { input: pod(`low-${i}`, { cpu: '1500m', labels: { app: 'low' }, spec: { priorityClassName: 'low', nodeName: undefined } }) });
    await Promise.all([0, 1, 2].map((i) => scheduled(`low-${i}`)));
    await c.k(['apply', '-f', '-'], { input: pod('vip', { cpu: '1', spec: { priorityClassName: 'high' } }) });
    const node = await scheduled('vip');
    const victims = [0, 1, 2].map((i) => `low-${i}`);
    const gone = await c.until('exactly one victim', async () => {
      const left = [];
      for (const v of victims) {
        const r = await c.raw('GET', `/api/v1/namespaces/default/pods/${v}`);
        if (r.code === 200 && !r.json.metadata.deletionTimestamp) left.push(r.json.spec.nodeName);
      }
      return left.length === 2 ? left : undefined;
    });
    assert.ok(!gone.includes(node), 'the victim was on the node the high-priority pod took');
    const vip = await c.getJson('/api/v1/namespaces/default/pods/vip');
    assert.equal(vip.spec.priority, 1000);
    await c.k(['delete', 'pod', '-l', 'app=low', '--wait=false']);
    await c.k(['delete', 'pod', 'vip', '--wait=false']);
  });

  it('leaves pods for another scheduler alone', async () => {
    await c.k(['apply', '-f', '-'], { input: pod('other', { spec: { schedulerName: 'someone-else' } }) });
    await new Promise((r) => setTimeout(r, 1000));
    const p = await c.getJson('/api/v1/namespaces/default/pods/other');
    assert.equal(p.spec.nodeName, undefined);
    assert.equal((p.status.conditions ?? []).length, 0);
  });
});
