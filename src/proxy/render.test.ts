import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { servicePorts } from './model.js';
import { desiredState, renderDiff, renderFull } from './render.js';

const svc = (spec: any) => ({ metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec } });
const slice = (ips: string[], o: { ready?: boolean; terminating?: boolean; node?: string } = {}) => ({
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: o.ready ?? true, serving: true, terminating: o.terminating ?? false }, nodeName: o.node ?? 'n1' })),
});
const O = { clusterCidr: '10.42.0.0/16' };

describe('proxy rules', () => {
  it('round-robins over ready endpoints, falling back to serving terminating ones', () => {
    const [sp] = servicePorts(svc({}), [slice(['10.42.0.3', '10.42.0.2']), slice(['10.42.0.9'], { ready: false })], 'n1');
    assert.deepEqual(sp.internal.map((e) => e.ip), ['10.42.0.2', '10.42.0.3']);
    const [term] = servicePorts(svc({}), [slice(['10.42.0.7'], { ready: false, terminating: true })], 'n1');
    assert.deepEqual(term.internal.map((e) => e.ip), ['10.42.0.7']);
    const text = renderFull(desiredState([sp], O));
    assert.match(text, /dnat ip addr \. port to numgen inc mod 2 map \{ 0 : 10\.42\.0\.2 \. 8080, 1 : 10\.42\.0\.3 \. 8080 \}/);
    assert.match(text, /add element ip skiff service-ips \{ 10\.43\.0\.5 \. tcp \. 80 : goto svc-/);
    assert.match(text, /add element ip skiff hairpin-pairs \{ 10\.42\.0\.2 \. 10\.42\.0\.2, 10\.42\.0\.3 \. 10\.42\.0\.3 \}/);
  });

  it('hairpins only DNAT-ed connections, and never loopback endpoints (the kubernetes Service on 127.0.0.1)', () => {
    const [api] = servicePorts(svc({}), [slice(['127.0.0.1', '10.42.0.2'])], 'n1');
    const st = desiredState([api], O);
    assert.deepEqual([...st.maps.get('hairpin-pairs')!.keys()], ['10.42.0.2 . 10.42.0.2']);
    assert.ok(st.chains.get('nat-postrouting')!.includes('ct status dnat ip saddr . ip daddr @hairpin-pairs masquerade'));
  });

  it('rejects ports without endpoints and keeps traffic policy Local to this node', () => {
    const [none] = servicePorts(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [], 'n1');
    const st = desiredState([none], O);
    assert.equal(st.maps.get('no-endpoint-services')!.get('10.43.0.5 . tcp . 80'), 'goto reject-chain');
    assert.equal(st.maps.get('no-endpoint-nodeports')!.get('tcp . 30080'), 'goto reject-chain');
    const [local] = servicePorts(svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [slice(['10.42.0.2']), slice(['10.42.1.2'], { node: 'n2' })], 'n1');
    assert.equal(local.internal.length, 2);
    assert.deepEqual(local.external.map((e) => e.ip), ['10.42.0.2']);
    // Local external traffic keeps the client address: no masquerade mark on that path.
    const ext = desiredState([local], O).chains.get(`ext-${local.id}`)!;
    assert.ok(!ext.some((r) => r.includes('mark-for-masquerade')));
  });

  it('diffs: nothing for no change; a removed endpoint rewrites one chain and its hairpin element', () => {
    const a = desiredState(servicePorts(svc({}), [slice(['10.42.0.2', '10.42.0.3'])], 'n1'), O);
    assert.equal(renderDiff(a, desiredState(servicePorts(svc({}), [slice(['10.42.0.2', '10.42.0.3'])], 'n1'), O)), '');
    const b = desiredState(servicePorts(svc({}), [slice(['10.42.0.2'])], 'n1'), O);
    const d = renderDiff(a, b);
    assert.match(d, /^flush chain ip skiff svc-\w+$/m);
    assert.match(d, /dnat to 10\.42\.0\.2:8080/);
    assert.match(d, /delete element ip skiff hairpin-pairs \{ 10\.42\.0\.3 \. 10\.42\.0\.3 \}/);
    // Affinity moves to per-endpoint chains with timeout sets; dropping it deletes them after their references.
    const c = desiredState(servicePorts(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }), [slice(['10.42.0.2'])], 'n1'), O);
    assert.match(renderDiff(b, c), /add set ip skiff aff-sep-\w+-\w+ \{ type ipv4_addr; flags dynamic,timeout; timeout 60s; \}/);
    const back = renderDiff(c, b).split('\n');
    assert.ok(back.findIndex((l) => l.startsWith('delete chain')) > back.findIndex((l) => l.startsWith('flush chain ip skiff svc-')));
    assert.ok(back.findIndex((l) => l.startsWith('delete set')) > back.findIndex((l) => l.startsWith('delete chain')));
  });
});
