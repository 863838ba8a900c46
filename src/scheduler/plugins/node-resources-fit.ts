/**
 * NodeResourcesFit: Filter checks the pod's requests (cpu, memory, ephemeral-storage,
 * extended resources, pod count) against allocatable minus what the node's pods already
 * request; Score by strategy — LeastAllocated (default: spread), MostAllocated (bin
 * packing) or RequestedToCapacityRatio (a piecewise-linear shape over utilisation).
 * Scoring uses non-zero requests (100m / 200Mi for containers that ask for nothing).
 */
import { MAX_NODE_SCORE, Status, unschedulable, type FilterPlugin, type ScorePlugin } from '../framework/types.js';
import type { NodeInfo } from '../framework/node-info.js';
import { podNonZeroRequests, podRequests, type Resources } from '../framework/resources.js';

export const NAME = 'NodeResourcesFit';

export interface ScoringStrategy {
  type: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
  resources?: { name: string; weight: number }[];
  requestedToCapacityRatio?: { shape: { utilization: number; score: number }[] };
}

export interface FitArgs {
  scoringStrategy?: ScoringStrategy;
  ignoredResources?: string[];
}

function requestsOf(state: any, pod: any): Resources {
  let r = state.read('NodeResourcesFit') as Resources | undefined;
  if (!r) state.write('NodeResourcesFit', (r = podRequests(pod)));
  return r;
}

export function insufficient(req: Resources, ni: NodeInfo, ignored: Set<string>): string[] {
  const out: string[] = [];
  if (ni.pods.size + 1 > ni.allowedPodNumber) out.push('Too many pods');
  if (req.milliCPU > 0 && req.milliCPU > ni.allocatable.milliCPU - ni.requested.milliCPU) out.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > ni.allocatable.memory - ni.requested.memory) out.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > ni.allocatable.ephemeralStorage - ni.requested.ephemeralStorage) out.push('Insufficient ephemeral-storage');
  for (const [k, v] of req.scalar) {
    if (v <= 0 || ignored.has(k)) continue;
    if (v > (ni.allocatable.scalar.get(k) ?? 0) - (ni.requested.scalar.get(k) ?? 0)) out.push(`Insufficient ${k}`);
  }
  return out;
}

/** Piecewise-linear interpolation of the shape (utilisation 0..100 → score 0..10, scaled to 0..100). */
function shapeScore(shape: { utilization: number; score: number }[], util: number): number {
  const pts = [...shape].sort((a, b) => a.utilization - b.utilization).map((p) => ({ u: p.utilization, s: (p.score * MAX_NODE_SCORE) / 10 }));
  if (!pts.length) return 0;
  if (util <= pts[0].u) return pts[0].s;
  for (let i = 1; i < pts.length; i++) {
    if (util <= pts[i].u) return pts[i - 1].s + ((pts[i].s - pts[i - 1].s) * (util - pts[i - 1].u)) / (pts[i].u - pts[i - 1].u);
  }
  return pts[pts.length - 1].s;
}

export function create(args: FitArgs = {}): FilterPlugin & ScorePlugin {
  const strategy = args.scoringStrategy ?? { type: 'LeastAllocated' };
  const weights = strategy.resources ?? [
    { name: 'cpu', weight: 1 },
    { name: 'memory', weight: 1 },
  ];
  const ignored = new Set(args.ignoredResources ?? []);
  return {
    name: NAME,
    filter(state, pod, ni) {
      const reasons = insufficient(requestsOf(state, pod), ni, ignored);
      return reasons.length ? unschedulable(...reasons) : Status.success();
    },
    score(state, pod, ni) {
      let nz = state.read('NodeResourcesFit/nz') as { milliCPU: number; memory: number } | undefined;
      if (!nz) state.write('NodeResourcesFit/nz', (nz = podNonZeroRequests(pod)));
      const req = requestsOf(state, pod);
      let total = 0,
        wsum = 0;
      for (const { name, weight } of weights) {
        let alloc: number, used: number;
        if (name === 'cpu') [alloc, used] = [ni.allocatable.milliCPU, ni.nonZeroRequested.milliCPU + nz.milliCPU];
        else if (name === 'memory') [alloc, used] = [ni.allocatable.memory, ni.nonZeroRequested.memory + nz.memory];
        else if (name === 'ephemeral-storage') [alloc, used] = [ni.allocatable.ephemeralStorage, ni.requested.ephemeralStorage + req.ephemeralStorage];
        else [alloc, used] = [ni.allocatable.scalar.get(name) ?? 0, (ni.requested.scalar.get(name) ?? 0) + (req.scalar.get(name) ?? 0)];
        if (alloc <= 0) continue;
        let s: number;
        if (strategy.type === 'MostAllocated') s = used > alloc ? 0 : (used * MAX_NODE_SCORE) / alloc;
        else if (strategy.type === 'RequestedToCapacityRatio') s = shapeScore(strategy.requestedToCapacityRatio?.shape ?? [], Math.min(100, (used * 100) / alloc));
        else s = used > alloc ? 0 : ((alloc - used) * MAX_NODE_SCORE) / alloc;
        total += Math.floor(s) * weight;
        wsum += weight;
      }
      return { score: wsum ? Math.floor(total / wsum) : 0 };
    },
  };
}
