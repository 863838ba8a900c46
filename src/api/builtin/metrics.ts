/**
 * metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: the Resource Metrics API that
 * metrics-server serves (read-only: get and list), here served by the API server from
 * its own scrapes of the node agents (src/apiserver/metrics/). Table columns as
 * metrics-server prints them.
 */
import type { ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { parseQuantity } from '../../scheduler/framework/resources.js';
import { cpuQuantity, memoryQuantity } from './metrics-quantity.js';

/** metrics-server's table: Name, one column per resource (sorted), Window. */
const columns: ResourceDef['columns'] = [
  { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
];

export const nodeMetrics: ResourceDef = kind({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind: 'NodeMetrics',
  plural: 'nodes',
  singular: '',
  namespaced: false,
  verbs: ['get', 'list'],
  noAge: true,
  columns,
  cells: (o) => [o.usage?.cpu ?? '', o.usage?.memory ?? '', o.window ?? ''],
});

export const podMetrics: ResourceDef = kind({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind: 'PodMetrics',
  plural: 'pods',
  singular: '',
  namespaced: true,
  verbs: ['get', 'list'],
  noAge: true,
  columns,
  cells: (o) => {
    // The pod's usage is the sum of its containers'.
    const sum = (k: string) => (o.containers ?? []).reduce((a: number, c: any) => a + parseQuantity(c.usage?.[k] ?? 0), 0);
    return [cpuQuantity(sum('cpu') * 1e9), memoryQuantity(sum('memory')), o.window ?? ''];
  },
});

export const metricsKinds = [nodeMetrics, podMetrics];
