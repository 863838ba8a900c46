import { test } from 'node:test';
import assert from 'node:assert/strict';
import { services } from './core.js';

const now = new Date('2026-01-01T00:10:00Z');
const svc = (spec: any, status: any = {}) => ({ metadata: { name: 's', creationTimestamp: '2026-01-01T00:00:00Z' }, spec, status });

test('service EXTERNAL-IP: sorted unique load-balancer ingress, then externalIPs; <pending>, <none>', () => {
  const ingress = [{ ip: '10.0.0.9' }, { hostname: 'lb.example.com' }, { ip: '10.0.0.10' }, { ip: '10.0.0.9' }];
  assert.equal(services.row(svc({ type: 'LoadBalancer', clusterIP: '10.43.0.5', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }, { loadBalancer: { ingress } }), now)[3], '10.0.0.10,10.0.0.9,lb.example.com');
  assert.equal(services.row(svc({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'] }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } }), now)[3], '5.6.7.8,1.2.3.4');
  assert.equal(services.row(svc({ type: 'LoadBalancer' }), now)[3], '<pending>');
  assert.equal(services.row(svc({ type: 'NodePort' }), now)[3], '<none>');
  assert.deepEqual(services.row(svc({ type: 'NodePort', clusterIP: '10.43.0.6', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }), now).slice(1, 5), ['NodePort', '10.43.0.6', '<none>', '80:30080/TCP,53/UDP']);
  assert.deepEqual(services.row(svc({ type: 'ExternalName', externalName: 'example.com' }), now).slice(2, 5), ['<none>', 'example.com', '<none>']);
});
