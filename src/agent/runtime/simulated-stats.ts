/**
 * Resource usage of simulated containers (hollow nodes have no cgroups to read). The
 * figures are deterministic so tests can assert exact numbers in `kubectl top`:
 *   cpu    — half the container's cpu request (1m without a request), as a steady rate:
 *            the cumulative counter is rate × time running, so any two samples give it back;
 *   memory — half the container's memory request (4Mi without one), as the working set.
 * Simulated-node test hook: the pod annotations `skiff.dev/simulate-cpu-usage` and
 * `skiff.dev/simulate-memory-usage` (quantities, e.g. "250m", "64Mi") set the usage of each
 * of the pod's containers instead. Like the other `skiff.dev/simulate-*` knobs they are read
 * when the container is created, so changing a Deployment's template rolls new pods with
 * the new usage.
 */
import { parseQuantity } from '../../scheduler/framework/resources.js';
import type { ContainerConfig, ContainerStats } from './types.js';

export const SIMULATE_CPU_USAGE = 'skiff.dev/simulate-cpu-usage';
export const SIMULATE_MEMORY_USAGE = 'skiff.dev/simulate-memory-usage';

/** The steady usage of a simulated container: nano-cores and working-set bytes. */
export function simulatedUsage(cfg: ContainerConfig): { nanoCores: number; memoryBytes: number } {
  const a = cfg.podAnnotations ?? {};
  const cpuAnn = a[SIMULATE_CPU_USAGE];
  const memAnn = a[SIMULATE_MEMORY_USAGE];
  const nanoCores = cpuAnn !== undefined ? Math.round(parseQuantity(cpuAnn) * 1e9) : cfg.requests?.milliCpu ? Math.round(cfg.requests.milliCpu / 2) * 1e6 : 1e6;
  // Working sets are whole pages (4 KiB), as the kernel counts them.
  const memRaw = memAnn !== undefined ? parseQuantity(memAnn) : cfg.requests?.memoryBytes ? cfg.requests.memoryBytes / 2 : 4 * 1024 * 1024;
  return { nanoCores, memoryBytes: Math.floor(memRaw / 4096) * 4096 };
}

/** A sample at nowMs of a container running since startedAtMs (CRI ContainerStats' fields). */
export function simulatedStats(cfg: ContainerConfig, startedAtMs: number | undefined, nowMs: number): ContainerStats {
  const u = simulatedUsage(cfg);
  const runningMs = startedAtMs === undefined ? 0 : Math.max(0, nowMs - startedAtMs);
  // rate (ns of cpu per s) × ms / 1000: exact for whole-millicore rates.
  return { timestampMs: nowMs, cpuUsageNanoCores: u.nanoCores, cpuUsageCoreNanoSeconds: (u.nanoCores / 1e6) * runningMs * 1e3, memoryWorkingSetBytes: startedAtMs === undefined ? 0 : u.memoryBytes };
}
