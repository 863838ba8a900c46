import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework/cycle-state.js';
import { NodeInfo, podInfo } from '../framework/node-info.js';
import { Code, Status } from '../framework/types.js';
import { fitErrorMessage } from '../failure.js';
import * as fit from './node-resources-fit.js';
import * as taints from './taint-toleration.js';
import * as affinity from './node-affinity.js';
import * as spread from './pod-topology-spread.js';
import * as interPod from './inter-pod-affinity.js';
import * as ports from './node-ports.js';

const node = (name: string, o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: any[] } = {}) =>
  new NodeInfo({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } }, spec: { taints: o.taints }, status: { allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' } } });
let uid = 0;
const pod = (o: { cpu?: string; memory?: string; labels?: Record<string, string>; spec?: any } = {}) => ({
  metadata: { name: `p${++uid}`, namespace: 'default', uid: `u${uid}`, labels: o.labels ?? {} },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) } } }], ...o.spec },
});
const handle = (nodes: NodeInfo[]) => ({ nodes: () => nodes, nodeInfo: (n: string) => nodes.find((x) => x.name === n), priorityClassValue: () => undefined });

describe('NodeResourcesFit', () => {
  it('rejects with upstream reasons and counts assumed pods', () => {
    const n = node('n1', { cpu: '1', memory: '1Gi', pods: '2' });
    const p = fit.create();
    assert.ok(p.filter(new CycleState(), pod({ cpu: '500m' }), n).isSuccess());
    n.addPod(podInfo(pod({ cpu: '800m', memory: '900Mi' })));
    const st = p.filter(new CycleState(), pod({ cpu: '500m', memory: '200Mi' }), n);
    assert.equal(st.code, Code.Unschedulable);
    assert.deepEqual(st.reasons, ['Insufficient cpu', 'Insufficient memory']);
    n.addPod(podInfo(pod()));
    assert.deepEqual(p.filter(new CycleState(), pod(), n).reasons, ['Too many pods']);
  });

  it('LeastAllocated prefers the emptier node, MostAllocated the fuller one', () => {
    const empty = node('a');
    const busy = node('b');
    busy.addPod(podInfo(pod({ cpu: '3', memory: '6Gi' })));
    const least = fit.create();
    const most = fit.create({ scoringStrategy: { type: 'MostAllocated' } });
    const p = pod({ cpu: '100m', memory: '100Mi' });
    assert.ok(least.score(new CycleState(), p, empty).score > least.score(new CycleState(), p, busy).score);
    assert.ok(most.score(new CycleState(), p, busy).score > most.score(new CycleState(), p, empty).score);
  });
});

describe('TaintToleration and NodeAffinity', () => {
  it('names the untolerated taint and honours tolerations', () => {
    const n = node('n', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const p = taints.create();
    assert.deepEqual(p.filter(new CycleState(), pod(), n).reasons, ['node(s) had untolerated taint {dedicated: gpu}']);
    assert.ok(p.filter(new CycleState(), pod({ spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } }), n).isSuccess());
  });

  it('matches nodeSelector, all operators and matchFields', () => {
    const n = node('n7', { labels: { zone: 'a', size: '8' } });
    const p = affinity.create();
    const withTerm = (term: any) => pod({ spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } } } });
    assert.ok(p.filter(new CycleState(), pod({ spec: { nodeSelector: { zone: 'a' } } }), n).isSuccess());
    assert.equal(p.filter(new CycleState(), pod({ spec: { nodeSelector: { zone: 'b' } } }), n).code, Code.UnschedulableAndUnresolvable);
    assert.ok(p.filter(new CycleState(), withTerm({ matchExpressions: [{ key: 'size', operator: 'Gt', values: ['4'] }] }), n).isSuccess());
    assert.ok(!p.filter(new CycleState(), withTerm({ matchExpressions: [{ key: 'size', operator: 'Lt', values: ['4'] }] }), n).isSuccess());
    assert.ok(p.filter(new CycleState(), withTerm({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }), n).isSuccess());
    assert.ok(p.filter(new CycleState(), withTerm({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }), n).isSuccess());
  });
});

describe('PodTopologySpread', () => {
  it('keeps skew within maxSkew over zones (worked example a:2 b:0 c:1)', () => {
    const nodes = ['a', 'b', 'c'].map((z) => node(`n-${z}`, { labels: { 'topology.kubernetes.io/zone': z } }));
    const labels = { app: 'web' };
    nodes[0].addPod(podInfo(pod({ labels })));
    nodes[0].addPod(podInfo(pod({ labels })));
    nodes[2].addPod(podInfo(pod({ labels })));
    const p = spread.create({}, handle(nodes));
    const incoming = pod({ labels, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }] } });
    const state = new CycleState();
    p.preFilter(state, incoming, nodes);
    assert.equal(p.filter(state, incoming, nodes[0]).code, Code.Unschedulable);
    assert.ok(p.filter(state, incoming, nodes[1]).isSuccess());
    assert.equal(p.filter(state, incoming, nodes[2]).code, Code.Unschedulable);
  });
});

describe('InterPodAffinity', () => {
  it('anti-affinity on hostname allows one per node; the first of an affinity group may go anywhere', () => {
    const nodes = [node('n1'), node('n2')];
    const labels = { app: 'db' };
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }] } };
    nodes[0].addPod(podInfo(pod({ labels, spec: { affinity: anti } })));
    const p = interPod.create({}, handle(nodes));
    const incoming = pod({ labels, spec: { affinity: anti } });
    const state = new CycleState();
    p.preFilter(state, incoming, nodes);
    assert.equal(p.filter(state, incoming, nodes[0]).code, Code.Unschedulable);
    assert.ok(p.filter(state, incoming, nodes[1]).isSuccess());

    const aff = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const first = pod({ labels: { app: 'cache' }, spec: { affinity: aff } });
    const s2 = new CycleState();
    p.preFilter(s2, first, nodes);
    assert.ok(p.filter(s2, first, nodes[1]).isSuccess(), 'first pod of the group is not blocked by its own affinity');
  });
});

describe('NodePorts', () => {
  it('detects host port conflicts', () => {
    const n = node('n');
    const withPort = () => pod({ spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
    n.addPod(podInfo(withPort()));
    assert.equal(ports.create().filter(new CycleState(), withPort(), n).code, Code.Unschedulable);
  });
});

describe('FitError message', () => {
  it('counts and sorts reasons like kube-scheduler', () => {
    const st = new Map<string, Status>([
      ['a', new Status(Code.Unschedulable, ['Insufficient memory'])],
      ['b', new Status(Code.Unschedulable, ['Insufficient memory'])],
      ['c', new Status(Code.UnschedulableAndUnresolvable, ['node(s) had untolerated taint {k: v}'])],
    ]);
    assert.equal(fitErrorMessage(3, st, 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'), '0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
  });
});
