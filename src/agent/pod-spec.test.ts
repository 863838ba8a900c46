import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerConfigFor, linuxResources, podDnsConfig, sandboxConfigFor } from './pod-spec.js';

const pod = (spec: any, status: any = {}) => ({ metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } }, spec, status });
const opts = { clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', podLogRoot: '/logs', memoryCapacity: 1000 * 1024 * 1024 };

describe('pod spec → runtime config', () => {
  it('points ClusterFirst pods at the cluster DNS with the namespace search list', () => {
    assert.deepEqual(podDnsConfig(pod({ containers: [] }), opts), { servers: ['10.43.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });
  });
  it('gives hostNetwork ClusterFirst and Default pods the node resolv.conf, None only dnsConfig', () => {
    assert.equal(podDnsConfig(pod({ hostNetwork: true, containers: [] }), opts), undefined);
    assert.equal(podDnsConfig(pod({ dnsPolicy: 'Default', containers: [] }), opts), undefined);
    assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', containers: [] }), opts)?.servers, ['10.43.0.10']);
    assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['x'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] }, containers: [] }), opts), {
      servers: ['1.2.3.4'],
      searches: ['x'],
      options: ['ndots:2', 'edns0'],
    });
  });
  it('merges dnsConfig into ClusterFirst, an option replacing the default of the same name', () => {
    const d = podDnsConfig(pod({ dnsConfig: { searches: ['extra'], options: [{ name: 'ndots', value: '1' }] }, containers: [] }), opts)!;
    assert.deepEqual(d.searches.at(-1), 'extra');
    assert.deepEqual(d.options, ['ndots:1']);
  });
  it('builds the sandbox: hostname, hostPorts, log directory, QoS cgroup parent', () => {
    const s = sandboxConfigFor(pod({ hostname: 'h1', containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }] }), opts);
    assert.equal(s.hostname, 'h1');
    assert.deepEqual(s.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIP: undefined }]);
    assert.equal(s.logDirectory, '/logs/shop_web_u-1');
    assert.equal(s.cgroupParent, '/kubepods/besteffort/podu-1');
    const g = sandboxConfigFor(pod({ containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }), opts);
    assert.equal(g.cgroupParent, '/kubepods/podu-1');
    assert.equal(g.hostname, 'web');
  });
  it('turns requests and limits into cpu shares, CFS quota and a memory limit (kubelet arithmetic)', () => {
    // 250m requested → 256 shares; 500m limit → 50 ms per 100 ms period.
    const c = { name: 'c', resources: { requests: { cpu: '250m', memory: '100Mi' }, limits: { cpu: '500m', memory: '200Mi' } } };
    const r = linuxResources(pod({ containers: [c] }), c, opts);
    assert.equal(r.cpuShares, 256);
    assert.equal(r.cpuQuota, 50_000);
    assert.equal(r.cpuPeriod, 100_000);
    assert.equal(r.memoryLimitBytes, 200 * 1024 * 1024);
    // Burstable: 1000 - 1000 * 100Mi / 1000Mi = 900.
    assert.equal(r.oomScoreAdj, 900);
    const none = { name: 'c' };
    assert.deepEqual(linuxResources(pod({ containers: [none] }), none, opts), { cpuShares: 2, oomScoreAdj: 1000 });
  });
  it('defaults the pull policy as the API does and passes the attempt', () => {
    const p = pod({ containers: [] });
    assert.equal(containerConfigFor(p, { name: 'a', image: 'busybox' }, 0, opts).imagePullPolicy, 'Always');
    assert.equal(containerConfigFor(p, { name: 'a', image: 'reg:5000/x:latest' }, 0, opts).imagePullPolicy, 'Always');
    assert.equal(containerConfigFor(p, { name: 'a', image: 'reg:5000/x:1.0' }, 0, opts).imagePullPolicy, 'IfNotPresent');
    assert.equal(containerConfigFor(p, { name: 'a', image: 'x@sha256:abc' }, 0, opts).imagePullPolicy, 'IfNotPresent');
    const cc = containerConfigFor(p, { name: 'a', image: 'x:1', imagePullPolicy: 'Never', command: ['sh'], args: ['-c', 'true'], workingDir: '/w', env: [{ name: 'A', value: '1' }] }, 3, opts);
    assert.equal(cc.imagePullPolicy, 'Never');
    assert.equal(cc.restartCount, 3);
    assert.deepEqual([cc.command, cc.args, cc.workingDir, cc.env], [['sh'], ['-c', 'true'], '/w', [{ name: 'A', value: '1' }]]);
  });
});
