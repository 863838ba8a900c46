import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupPods, plainReplicas, resourceReplicas, type PodMetrics } from './replica-calculator.js';
import { HpaMemory, normalize, normalizeWithBehavior, recordScaleEvent } from './normalize.js';
import { parseLabelSelectorString } from './selector.js';
import { milliValue, resourceMetric } from './metrics-client.js';
import { StatusError } from '../../client/rest.js';
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, formatHpaMetrics } from '../../api/builtin/autoscaling.js';
import { hpaV1ToV2, hpaV2ToV1 } from '../../api/builtin/autoscaling-conversion.js';
import { validateHpaV2 } from '../../api/builtin/autoscaling-validation.js';

const NOW = 10_000_000;
const opts = { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000, now: NOW };
const iso = (ms: number) => new Date(ms).toISOString();
const pod = (name: string, o: { phase?: string; ready?: boolean; startedAgoMs?: number; readyAgoMs?: number; deleting?: boolean } = {}) => ({
  metadata: { name, ...(o.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu: '200m' } } }] },
  status: {
    phase: o.phase ?? 'Running',
    startTime: iso(NOW - (o.startedAgoMs ?? 600_000)),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(NOW - (o.readyAgoMs ?? 590_000)) }],
  },
});
const metric = (value: number): PodMetrics extends Map<string, infer V> ? V : never => ({ timestampMs: NOW, windowMs: 15_000, value });
const requests = (names: string[]) => new Map(names.map((n) => [n, 200]));

describe('replica calculator', () => {
  it('scales by ceil(ready pods × usage/target), within tolerance not at all', () => {
    // 150m and 250m of 200m: 100% against 50% → 4.
    const pods = [pod('a'), pod('b')];
    const m = new Map([['a', metric(150)], ['b', metric(250)]]);
    assert.deepEqual(resourceReplicas(2, 50, 'cpu', pods, m, requests(['a', 'b']), opts), { replicas: 4, utilization: 100, raw: 200 });
    // 105% of target is within the 10% tolerance.
    assert.equal(resourceReplicas(2, 95, 'cpu', pods, m, requests(['a', 'b']), opts).replicas, 2);
  });

  it('groups pods as upstream: deleted/failed ignored, pending and not-ready unready, no metric missing', () => {
    const pods = [pod('ok'), pod('gone', { deleting: true }), pod('failed', { phase: 'Failed' }), pod('pending', { phase: 'Pending' }), pod('notready', { ready: false, startedAgoMs: 10_000, readyAgoMs: 5_000 }), pod('nometric')];
    const m = new Map(['ok', 'gone', 'failed', 'pending', 'notready'].map((n) => [n, metric(100)]));
    const g = groupPods(pods, m, 'cpu', opts);
    assert.equal(g.readyCount, 1);
    assert.deepEqual([...g.ignored].sort(), ['failed', 'gone']);
    assert.deepEqual([...g.unready].sort(), ['notready', 'pending']);
    assert.deepEqual([...g.missing], ['nometric']);
    // For memory readiness does not matter.
    assert.equal(groupPods(pods, m, 'memory', opts).readyCount, 2);
  });

  it('damps scale-up with unready pods (as 0) and scale-down with missing pods (as their request)', () => {
    // One ready pod at 400% of target, one unready: counted as 0 → ratio 2 → 4 replicas, not 8.
    const up = resourceReplicas(2, 50, 'cpu', [pod('a'), pod('b', { ready: false, startedAgoMs: 10_000, readyAgoMs: 5_000 })], new Map([['a', metric(400)], ['b', metric(400)]]), requests(['a', 'b']), opts);
    assert.equal(up.replicas, 4);
    // One pod at 10%, one without metrics (taken at 100%): 55% vs 50% is within tolerance: no change.
    assert.equal(resourceReplicas(2, 50, 'cpu', [pod('a'), pod('b')], new Map([['a', metric(20)]]), requests(['a', 'b']), opts).replicas, 2);
  });

  it('computes AverageValue proposals from raw usage', () => {
    const r = plainReplicas(2, 100, 'memory', [pod('a'), pod('b')], new Map([['a', metric(300)], ['b', metric(100)]]), opts);
    assert.deepEqual(r, { replicas: 4, usage: 200 });
  });

  it('fails without pods or metrics, with upstream messages', () => {
    assert.throws(() => resourceReplicas(1, 50, 'cpu', [], new Map(), new Map(), opts), /no pods returned by selector while calculating replica count/);
    assert.throws(() => resourceReplicas(1, 50, 'cpu', [pod('a', { phase: 'Pending' })], new Map([['a', metric(1)]]), requests(['a']), opts), /did not receive metrics for targeted pods \(pods might be unready\)/);
  });
});

describe('normalization', () => {
  it('without behavior: keeps the highest recommendation of the stabilization window, then limits', () => {
    const mem = new HpaMemory();
    mem.recommendations.push({ at: NOW - 60_000, replicas: 5 });
    const down = normalize(mem, { current: 5, proposed: 2, min: 1, max: 10, now: NOW, downscaleWindowMs: 300_000 });
    assert.equal(down.replicas, 5);
    assert.equal(down.ableToScale.reason, 'ScaleDownStabilized');
    const later = normalize(mem, { current: 5, proposed: 2, min: 1, max: 10, now: NOW + 301_000, downscaleWindowMs: 300_000 });
    assert.equal(later.replicas, 2);
    // Up: at most max(2 × current, 4).
    const up = normalize(new HpaMemory(), { current: 3, proposed: 20, min: 1, max: 10, now: NOW, downscaleWindowMs: 0 });
    assert.deepEqual([up.replicas, up.scalingLimited], [6, { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }]);
    const capped = normalize(new HpaMemory(), { current: 8, proposed: 20, min: 1, max: 10, now: NOW, downscaleWindowMs: 0 });
    assert.deepEqual([capped.replicas, capped.scalingLimited.reason], [10, 'TooManyReplicas']);
  });

  it('with behavior: policies over their periods, counting recent scale events', () => {
    const behavior = { scaleUp: { ...DEFAULT_SCALE_UP, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] }, scaleDown: { ...DEFAULT_SCALE_DOWN, stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } };
    const mem = new HpaMemory();
    const a = normalizeWithBehavior(mem, { current: 2, proposed: 10, min: 1, max: 10, now: NOW, behavior, downscaleWindowMs: 300_000 });
    assert.deepEqual([a.replicas, a.scalingLimited.reason], [4, 'ScaleUpLimit']);
    recordScaleEvent(mem, behavior, 2, 4, NOW);
    // Within the same 60 s period the budget (2 pods) is spent.
    assert.equal(normalizeWithBehavior(mem, { current: 4, proposed: 10, min: 1, max: 10, now: NOW + 1000, behavior, downscaleWindowMs: 300_000 }).replicas, 4);
    // Down by at most 50% per minute.
    assert.equal(normalizeWithBehavior(new HpaMemory(), { current: 8, proposed: 1, min: 1, max: 10, now: NOW, behavior, downscaleWindowMs: 300_000 }).replicas, 4);
  });
});

describe('HorizontalPodAutoscaler API', () => {
  it('prints TARGETS as upstream (name: current/target, two at most)', () => {
    const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } };
    const mem = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
    assert.equal(formatHpaMetrics([cpu], []), 'cpu: <unknown>/80%');
    assert.equal(formatHpaMetrics([cpu, mem], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50 } } }, { type: 'Resource', resource: { name: 'memory', current: { averageValue: '20Mi' } } }]), 'cpu: 50%/80%, memory: 20Mi/100Mi');
    assert.equal(formatHpaMetrics([cpu, cpu, mem], []), 'cpu: <unknown>/80%, cpu: <unknown>/80% + 1 more...');
    assert.equal(formatHpaMetrics([], []), '<none>');
  });

  it('converts v2 to v1 and back, keeping v2-only fields in annotations', () => {
    const v2 = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'd' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }, { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } }], behavior: { scaleDown: { stabilizationWindowSeconds: 10 } } },
      status: { currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '140m' } } }], conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'm' }] },
    };
    const v1 = hpaV2ToV1(v2);
    assert.deepEqual(v1.spec, { scaleTargetRef: v2.spec.scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 });
    assert.deepEqual(v1.status, { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 });
    const back = hpaV1ToV2(v1);
    assert.deepEqual(back.spec, v2.spec);
    assert.deepEqual(back.status.conditions, v2.status.conditions);
    assert.equal(back.metadata.annotations, undefined);
  });

  it('validates as upstream', () => {
    const errs = validateHpaV2({ spec: { scaleTargetRef: { name: 'x' }, minReplicas: 0, maxReplicas: 0, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }, { type: 'Pods' }], behavior: { scaleUp: { stabilizationWindowSeconds: 4000, policies: [] } } } });
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.type}: ${e.detail}`),
      [
        'spec.minReplicas: FieldValueInvalid: must be greater than or equal to 1',
        'spec.maxReplicas: FieldValueInvalid: must be greater than 0',
        'spec.scaleTargetRef.kind: FieldValueRequired: ',
        'spec.metrics[0].resource.target.averageUtilization: FieldValueInvalid: must be greater than 0',
        'spec.metrics[1].pods: FieldValueRequired: must populate information for the given metric source',
        'spec.behavior.scaleUp.stabilizationWindowSeconds: FieldValueInvalid: must be less than or equal to 3600',
        'spec.behavior.scaleUp.policies: FieldValueRequired: must specify at least one Policy',
      ],
    );
  });

  it('matches string selectors', () => {
    const m = parseLabelSelectorString('app=web,tier in (a, b),!canary,env!=prod');
    assert.equal(m({ app: 'web', tier: 'a' }), true);
    assert.equal(m({ app: 'web', tier: 'c' }), false);
    assert.equal(m({ app: 'web', tier: 'b', canary: '1' }), false);
    assert.equal(m({ app: 'web', tier: 'b', env: 'prod' }), false);
  });
});

describe('resource metrics client', () => {
  const podMetrics = (name: string, containers: [string, Record<string, string>][]) => ({ metadata: { name }, timestamp: '2026-01-01T00:00:10Z', window: '1m0.5s', containers: containers.map(([n, usage]) => ({ name: n, usage })) });
  const rest = (items: any[], seen: string[] = []) => ({ request: async (path: string, o: any) => (seen.push(`${path}?${o?.query?.labelSelector}`), { items }) }) as any;

  it('sums containers in milli-units (or takes the named container), skipping pods that lack the resource or container', async () => {
    const seen: string[] = [];
    const items = [podMetrics('a', [['app', { cpu: '250m', memory: '1Mi' }], ['side', { cpu: '1234567n', memory: '4Ki' }]]), podMetrics('b', [['app', { memory: '2Mi' }]]), podMetrics('c', [['other', { cpu: '1' }]])];
    const all = await resourceMetric(rest(items, seen), 'cpu', 'ns', 'app=x');
    assert.deepEqual(seen, ['/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods?app=x']);
    assert.deepEqual([...all.metrics.entries()].map(([k, v]) => [k, v.value, v.windowMs]), [['a', 252, 60_500], ['c', 1000, 60_500]]);
    const app = await resourceMetric(rest(items), 'memory', 'ns', '', 'app');
    assert.deepEqual([...app.metrics.entries()].map(([k, v]) => [k, v.value]), [['a', 1024 * 1024 * 1000], ['b', 2 * 1024 * 1024 * 1000]]);
    assert.equal(milliValue('1234567n'), 2);
  });

  it('reports an API without metrics.k8s.io and an empty answer as upstream', async () => {
    const missing = { request: async () => { throw new StatusError(404, 'NotFound', 'the server could not find the requested resource'); } } as any;
    await assert.rejects(resourceMetric(missing, 'cpu', 'ns', ''), /unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource \(get pods.metrics.k8s.io\)/);
    await assert.rejects(resourceMetric(rest([]), 'cpu', 'ns', ''), /unable to get metrics for resource cpu: no metrics returned from resource metrics API/);
  });
});
