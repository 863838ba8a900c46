import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuantity, goDuration, memoryQuantity } from '../../api/builtin/metrics-quantity.js';
import { decimalToNanos, parsePrometheusText } from './prometheus-text.js';
import { batchOf } from './scraper.js';
import { MetricsStorage } from './storage.js';
import { nanosToSeconds } from '../../agent/streaming/resource-metrics.js';

describe('metrics quantities', () => {
  it('writes cpu as canonical decimal quantities from nano-cores', () => {
    assert.equal(cpuQuantity(1234567), '1234567n');
    assert.equal(cpuQuantity(329087452), '329087452n');
    assert.equal(cpuQuantity(250_000_000), '250m');
    assert.equal(cpuQuantity(2_000_000_000), '2');
    assert.equal(cpuQuantity(1_500_000_000), '1500m');
    assert.equal(cpuQuantity(5000), '5u');
    assert.equal(cpuQuantity(0), '0');
  });
  it('writes memory as canonical binary quantities', () => {
    assert.equal(memoryQuantity(2814136320), '2748180Ki');
    assert.equal(memoryQuantity(64 * 1024 * 1024), '64Mi');
    assert.equal(memoryQuantity(1536), '1536');
    assert.equal(memoryQuantity(0), '0');
  });
  it('writes windows as Go durations', () => {
    assert.equal(goDuration(15_000), '15s');
    assert.equal(goDuration(20_064), '20.064s');
    assert.equal(goDuration(60_500), '1m0.5s');
    assert.equal(goDuration(500), '500ms');
  });
});

describe('resource metrics text', () => {
  it('parses the kubelet format exactly (cpu seconds as nanoseconds)', () => {
    assert.equal(decimalToNanos(nanosToSeconds(30_864_000_123)), 30_864_000_123);
    const s = parsePrometheusText('# HELP x y\nnode_cpu_usage_seconds_total 12.500000000 1700000000000\ncontainer_memory_working_set_bytes{container="c",namespace="n",pod="p\\"q"} 4096 1700000000001\n');
    assert.deepEqual(
      s.map((x) => [x.name, x.labels, x.nanos, x.timestampMs]),
      [
        ['node_cpu_usage_seconds_total', {}, 12_500_000_000, 1700000000000],
        ['container_memory_working_set_bytes', { container: 'c', namespace: 'n', pod: 'p"q' }, 4096e9, 1700000000001],
      ],
    );
  });

  it('rates cpu between two scrapes, from the start time for a fresh container, and needs two for a node', () => {
    const doc = (t: number, cpuSec: string, nodeSec: string) =>
      [
        `container_cpu_usage_seconds_total{container="c",namespace="ns",pod="p"} ${cpuSec} ${t}`,
        `container_memory_working_set_bytes{container="c",namespace="ns",pod="p"} 8192 ${t}`,
        `container_start_time_seconds{container="c",namespace="ns",pod="p"} 1000.000 ${t}`,
        `node_cpu_usage_seconds_total ${nodeSec} ${t}`,
        `node_memory_working_set_bytes 65536 ${t}`,
      ].join('\n');
    const st = new MetricsStorage(15_000);
    st.store('n1', batchOf(doc(1_004_000, '0.500000000', '98.800000000').replace(/^container_start.*$/m, '')));
    assert.equal(st.nodeUsage('n1'), undefined);
    // Started at 1000 s; at 1005 s it is too young to be rated from its start (under 10 s).
    st.store('n1', batchOf(doc(1_005_000, '1.000000000', '99.000000000')));
    assert.equal(st.podUsage('ns', 'p'), undefined);
    // At 1010 s it used 2.5 core-seconds since it started less than a resolution ago: 250m over a 10 s window.
    st.store('n1', batchOf(doc(1_010_000, '2.500000000', '100.000000000')));
    assert.deepEqual(st.podUsage('ns', 'p')?.containers, [{ name: 'c', usage: { timestampMs: 1_010_000, windowMs: 10_000, nanoCores: 250_000_000, memoryBytes: 8192 } }]);
    assert.equal(st.nodeUsage('n1')?.nanoCores, 200_000_000);
    st.store('n1', batchOf(doc(1_015_000, '3.000000000', '101.000000000')));
    assert.equal(st.podUsage('ns', 'p')?.containers[0].usage.nanoCores, 100_000_000);
    assert.equal(st.podUsage('ns', 'p')?.windowMs, 5000);
    assert.deepEqual(st.nodeUsage('n1'), { timestampMs: 1_015_000, windowMs: 5000, nanoCores: 200_000_000, memoryBytes: 65536 });
    st.forget('n1');
    assert.equal(st.podUsage('ns', 'p'), undefined);
  });
});
