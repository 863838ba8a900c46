/**
 * NodeResourcesBalancedAllocation: prefers nodes where cpu and memory would be used in
 * equal proportion after placing the pod: score = (1 - standard deviation of the
 * fractions) × 100. E.g. cpu 50 %, memory 70 % → std 0.1 → score 90.
 */
import { MAX_NODE_SCORE, type ScorePlugin } from '../framework/types.js';
import { podNonZeroRequests } from '../framework/resources.js';

export const NAME = 'NodeResourcesBalancedAllocation';

export function create(): ScorePlugin {
  return {
    name: NAME,
    score(state, pod, ni) {
      let nz = state.read<{ milliCPU: number; memory: number }>('NodeResourcesFit/nz');
      if (!nz) state.write('NodeResourcesFit/nz', (nz = podNonZeroRequests(pod)));
      const fr: number[] = [];
      if (ni.allocatable.milliCPU > 0) fr.push(Math.min(1, (ni.nonZeroRequested.milliCPU + nz.milliCPU) / ni.allocatable.milliCPU));
      if (ni.allocatable.memory > 0) fr.push(Math.min(1, (ni.nonZeroRequested.memory + nz.memory) / ni.allocatable.memory));
      if (fr.length < 2) return { score: MAX_NODE_SCORE };
      const mean = fr.reduce((a, b) => a + b, 0) / fr.length;
      const std = Math.sqrt(fr.reduce((a, b) => a + (b - mean) ** 2, 0) / fr.length);
      return { score: Math.floor((1 - std) * MAX_NODE_SCORE) };
    },
  };
}
