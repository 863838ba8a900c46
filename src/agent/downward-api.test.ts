import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerResourceValue, formatMap, goQuote, podContainerResourceValue, podFieldValue } from './downward-api.js';

const pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { app: 'web', 'tier.io/x': 'a"b' }, annotations: { note: 'line1\nline2' } },
  spec: { nodeName: 'n1', serviceAccountName: 'sa', containers: [{ name: 'c', resources: { limits: { cpu: '250m', memory: '64Mi' } } }] },
  status: { podIP: '10.42.0.9', podIPs: [{ ip: '10.42.0.9' }, { ip: 'fd00::9' }], hostIP: '192.168.1.2', hostIPs: [{ ip: '192.168.1.2' }] },
};

describe('downward API fieldRef', () => {
  it('reads metadata, spec and status fields', () => {
    assert.equal(podFieldValue(pod, 'metadata.name'), 'p');
    assert.equal(podFieldValue(pod, 'metadata.namespace'), 'ns');
    assert.equal(podFieldValue(pod, 'metadata.uid'), 'u-1');
    assert.equal(podFieldValue(pod, "metadata.labels['app']"), 'web');
    assert.equal(podFieldValue(pod, "metadata.labels['missing']"), '');
    assert.equal(podFieldValue(pod, "metadata.annotations['note']"), 'line1\nline2');
    assert.equal(podFieldValue(pod, 'spec.nodeName'), 'n1');
    assert.equal(podFieldValue(pod, 'spec.serviceAccountName'), 'sa');
    assert.equal(podFieldValue(pod, 'status.podIP'), '10.42.0.9');
    assert.equal(podFieldValue(pod, 'status.podIPs'), '10.42.0.9,fd00::9');
    assert.equal(podFieldValue(pod, 'status.hostIP'), '192.168.1.2');
    assert.equal(podFieldValue(pod, 'status.hostIPs'), '192.168.1.2');
  });
  it('prefers the addresses the agent knows over the (not yet written) status', () => {
    assert.equal(podFieldValue({ metadata: {}, status: {} }, 'status.podIP', { podIPs: ['10.42.1.1'] }), '10.42.1.1');
    assert.equal(podFieldValue({ metadata: {}, status: {} }, 'status.hostIPs', { hostIPs: ['1.1.1.1', '::1'] }), '1.1.1.1,::1');
  });
  it('formats labels and annotations as sorted key="value" lines with Go quoting', () => {
    assert.equal(podFieldValue(pod, 'metadata.labels'), 'app="web"\ntier.io/x="a\\"b"');
    assert.equal(podFieldValue(pod, 'metadata.annotations'), 'note="line1\\nline2"');
    assert.equal(formatMap({}), '');
    assert.equal(goQuote('tab\there\x01é'), '"tab\\there\\x01é"');
  });
  it('rejects an unsupported path', () => {
    assert.throws(() => podFieldValue(pod, 'spec.containers'), /unsupported fieldPath/);
  });
});

describe('downward API resourceFieldRef', () => {
  const c = { name: 'c', resources: { limits: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1G' }, requests: { cpu: '100m', memory: '32Mi' } } };
  const v = (resource: string, divisor?: string, container: any = c, alloc?: Record<string, string>) => containerResourceValue({ resource, divisor }, container, alloc);
  it('divides cpu in millicores, rounding up', () => {
    assert.equal(v('limits.cpu'), '1'); // ceil(250m / 1)
    assert.equal(v('limits.cpu', '1m'), '250');
    assert.equal(v('limits.cpu', '100m'), '3'); // ceil(2.5)
    assert.equal(v('requests.cpu', '1m'), '100');
    assert.equal(v('limits.cpu', '0'), '1'); // a zero divisor means 1
  });
  it('divides memory and ephemeral storage in bytes, rounding up', () => {
    assert.equal(v('limits.memory'), String(64 * 1024 * 1024));
    assert.equal(v('limits.memory', '1Mi'), '64');
    assert.equal(v('limits.memory', '1Gi'), '1');
    assert.equal(v('requests.memory', '1Mi'), '32');
    assert.equal(v('limits.memory', '1M'), '68'); // 67.108864 → 68
    assert.equal(v('limits.ephemeral-storage', '1Mi'), '954'); // 953.67 → 954
  });
  it('defaults unset limits to node allocatable and unset requests to the limit or 0', () => {
    const bare = { name: 'b' };
    const alloc = { cpu: '3', memory: '2Gi' };
    assert.equal(v('limits.cpu', undefined, bare, alloc), '3');
    assert.equal(v('limits.memory', '1Mi', bare, alloc), '2048');
    assert.equal(v('requests.cpu', '1m', bare, alloc), '0');
    assert.equal(v('requests.cpu', '1m', { resources: { limits: { cpu: '2' } } }), '2000');
  });
  it('finds another container by name, and rejects unknown resources', () => {
    assert.equal(podContainerResourceValue({ containerName: 'c', resource: 'limits.memory', divisor: '1Mi' }, pod, undefined), '64');
    assert.throws(() => podContainerResourceValue({ containerName: 'zz', resource: 'limits.cpu' }, pod, undefined), /zz/);
    assert.throws(() => v('limits.gpu'), /unsupported container resource/);
  });
});
