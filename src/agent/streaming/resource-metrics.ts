/**
 * The kubelet's resource metrics endpoint, GET /metrics/resource: what metrics-server
 * scrapes. Prometheus text format with the kubelet's metric names and an explicit
 * timestamp (ms) on every sample:
 *   node_cpu_usage_seconds_total, node_memory_working_set_bytes,
 *   container_cpu_usage_seconds_total{container,namespace,pod},
 *   container_memory_working_set_bytes{...}, container_start_time_seconds{...},
 *   scrape_error.
 * Container figures come from the runtime's ContainerStats (CRI) for the running
 * containers of the node's pods. The node's own figures are the host's (/proc/stat and
 * /proc/meminfo, as cadvisor's root cgroup) on a real node, and the sum of its
 * containers on a simulated one (hollow nodes share one host).
 */
import { readFile } from 'node:fs/promises';
import type { ContainerStats, Runtime } from '../runtime/types.js';

export interface ResourceMetricsNode {
  runtime(): Runtime | undefined;
  /** A pod by uid (informer cache), to name the runtime's sandboxes. */
  podByUid(uid: string): any | undefined;
  /** Whether the node's usage is the host's (real node) rather than the sum of its containers. */
  hostStats?: boolean;
}

interface ContainerSample {
  namespace: string;
  pod: string;
  container: string;
  startedAtMs?: number;
  stats: ContainerStats;
}

/** A core-nanosecond count as exact decimal seconds ("12.345000000"). */
export function nanosToSeconds(ns: number): string {
  const n = BigInt(Math.round(ns));
  const s = n / 1_000_000_000n;
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return `${s}.${frac}`;
}

async function containerSamples(node: ResourceMetricsNode): Promise<{ samples: ContainerSample[]; error: boolean }> {
  const rt = node.runtime();
  if (!rt?.containerStats) return { samples: [], error: !rt };
  const out: ContainerSample[] = [];
  let error = false;
  for (const sb of await rt.listSandboxes()) {
    const pod = node.podByUid(sb.podUid);
    if (!pod) continue;
    for (const c of await rt.listContainers(sb.id)) {
      if (c.state !== 'running') continue;
      try {
        out.push({ namespace: pod.metadata.namespace, pod: pod.metadata.name, container: c.name, startedAtMs: c.startedAt?.getTime(), stats: await rt.containerStats(c.id) });
      } catch {
        error = true; // gone between the listing and the stats call
      }
    }
  }
  return { samples: out, error };
}

/** The host's cumulative busy cpu time (core-ns) and working set (bytes), from /proc. */
async function hostStats(): Promise<ContainerStats> {
  const stat = await readFile('/proc/stat', 'utf8');
  const cpu = stat.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait (USER_HZ = 100).
  const busyTicks = cpu.slice(0, 8).reduce((a, b, i) => (i === 3 || i === 4 ? a : a + b), 0);
  const mem = await readFile('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0) * 1024;
  return { timestampMs: Date.now(), cpuUsageCoreNanoSeconds: busyTicks * 10_000_000, memoryWorkingSetBytes: kb('MemTotal') - kb('MemAvailable') };
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The /metrics/resource document of one node. */
export async function resourceMetricsText(node: ResourceMetricsNode): Promise<string> {
  const { samples, error } = await containerSamples(node);
  let nodeStats: ContainerStats;
  if (node.hostStats) nodeStats = await hostStats();
  else {
    const ts = Math.max(0, ...samples.map((s) => s.stats.timestampMs ?? 0)) || Date.now();
    nodeStats = { timestampMs: ts, cpuUsageCoreNanoSeconds: samples.reduce((a, s) => a + (s.stats.cpuUsageCoreNanoSeconds ?? 0), 0), memoryWorkingSetBytes: samples.reduce((a, s) => a + (s.stats.memoryWorkingSetBytes ?? 0), 0) };
  }
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, rows: string[]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  const lbl = (s: ContainerSample) => `{container="${esc(s.container)}",namespace="${esc(s.namespace)}",pod="${esc(s.pod)}"}`;
  const withCpu = samples.filter((s) => s.stats.cpuUsageCoreNanoSeconds !== undefined);
  const withMem = samples.filter((s) => s.stats.memoryWorkingSetBytes !== undefined);
  metric('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds', withCpu.map((s) => `container_cpu_usage_seconds_total${lbl(s)} ${nanosToSeconds(s.stats.cpuUsageCoreNanoSeconds!)} ${s.stats.timestampMs}`));
  metric('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes', withMem.map((s) => `container_memory_working_set_bytes${lbl(s)} ${s.stats.memoryWorkingSetBytes} ${s.stats.timestampMs}`));
  metric('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds', samples.filter((s) => s.startedAtMs).map((s) => `container_start_time_seconds${lbl(s)} ${(s.startedAtMs! / 1000).toFixed(3)} ${s.stats.timestampMs}`));
  metric('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds', [`node_cpu_usage_seconds_total ${nanosToSeconds(nodeStats.cpuUsageCoreNanoSeconds ?? 0)} ${nodeStats.timestampMs}`]);
  metric('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes', [`node_memory_working_set_bytes ${nodeStats.memoryWorkingSetBytes ?? 0} ${nodeStats.timestampMs}`]);
  metric('scrape_error', 'gauge', '[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise', [`scrape_error ${error ? 1 : 0}`]);
  return lines.join('\n') + '\n';
}
