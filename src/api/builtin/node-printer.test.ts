import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodes } from './core.js';

const now = new Date('2026-01-01T00:10:00Z');

test('node STATUS and ROLES cells; a role in both label forms prints once', () => {
  const labels = { 'node-role.kubernetes.io/master': '', 'kubernetes.io/role': 'master', 'node-role.kubernetes.io/control-plane': '' };
  const n = { metadata: { name: 'n', labels, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1.32.0' } } };
  assert.deepEqual(nodes.row(n, now).slice(1, 3), ['NotReady,SchedulingDisabled', 'control-plane,master']);
  assert.deepEqual(nodes.row({ metadata: { name: 'n' }, status: {} }, now).slice(1, 3), ['Unknown', '<none>']);
});
