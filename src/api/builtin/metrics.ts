/**
 * metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: the Resource Metrics API that
 * metrics-server serves (read-only: get and list), here served by the API server from
 * its own scrapes of the node agents (src/apiserver/metrics/). Table columns as
 * metrics-server prints them.
 */
import type { ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { col } from './printing.js';

const columns = [col('CPU', 'CPU usage'), col('Memory', 'Memory usage'), col('Window', 'Interval over which usage is computed')];

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
    const sum = (k: string) => (o.containers ?? []).map((c: any) => c.usage?.[k]).filter(Boolean).join('+');
    return [sum('cpu'), sum('memory'), o.window ?? ''];
  },
});

export const metricsKinds = [nodeMetrics, podMetrics];
