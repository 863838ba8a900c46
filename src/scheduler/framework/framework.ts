/**
 * A profile's framework: the enabled plugins at each extension point, with score
 * weights, and the runners kube-scheduler's frameworkImpl has — RunPreFilterPlugins,
 * RunFilterPlugins (first rejection wins, per node), RunScorePlugins (+ normalise and
 * weight), RunReserve/Unreserve, RunPermit, RunBind.
 */
import { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import {
  Code,
  Status,
  type BindPlugin,
  type FilterPlugin,
  type NodeScore,
  type PermitPlugin,
  type PostFilterPlugin,
  type PreFilterPlugin,
  type PreBindPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ReservePlugin,
  type ScorePlugin,
} from './types.js';

export interface ProfilePlugins {
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: { plugin: ScorePlugin; weight: number }[];
  reserve: ReservePlugin[];
  permit: PermitPlugin[];
  preBind: PreBindPlugin[];
  bind: BindPlugin[];
}

export class Framework {
  constructor(
    readonly profileName: string,
    readonly plugins: ProfilePlugins,
    readonly percentageOfNodesToScore: number,
  ) {}

  newCycleState(): CycleState {
    return new CycleState();
  }

  runPreFilter(state: CycleState, pod: any, nodes: NodeInfo[]): { status: Status; result: PreFilterResult } {
    let result: PreFilterResult = {};
    for (const p of this.plugins.preFilter) {
      const r = p.preFilter(state, pod, nodes);
      if (r.status.code === Code.Skip) {
        state.skipFilter.add(p.name);
        continue;
      }
      if (!r.status.isSuccess()) return { status: r.status.withPlugin(p.name), result };
      if (r.result?.nodeNames) {
        const prev = result.nodeNames;
        result = { nodeNames: prev ? new Set([...prev].filter((n) => r.result!.nodeNames!.has(n))) : r.result.nodeNames };
      }
    }
    return { status: Status.success(), result };
  }

  runFilter(state: CycleState, pod: any, ni: NodeInfo): Status {
    const skip = state.skipFilter;
    for (const p of this.plugins.filter) {
      if (skip.size && skip.has(p.name)) continue;
      const s = p.filter(state, pod, ni);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  runPreScore(state: CycleState, pod: any, nodes: NodeInfo[]): Status {
    for (const p of this.plugins.preScore) {
      const s = p.preScore(state, pod, nodes);
      if (s.code === Code.Skip) state.skipScore.add(p.name);
      else if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  /** Weighted sum of normalised plugin scores per node. */
  runScore(state: CycleState, pod: any, nodes: NodeInfo[]): NodeScore[] {
    const total = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const { plugin, weight } of this.plugins.score) {
      if (state.skipScore.has(plugin.name)) continue;
      const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n).score }));
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < scores.length; i++) total[i].score += scores[i].score * weight;
    }
    return total;
  }

  runReserve(state: CycleState, pod: any, node: string): Status {
    for (let i = 0; i < this.plugins.reserve.length; i++) {
      const s = this.plugins.reserve[i].reserve(state, pod, node);
      if (!s.isSuccess()) {
        for (let j = i; j >= 0; j--) this.plugins.reserve[j].unreserve(state, pod, node);
        return s.withPlugin(this.plugins.reserve[i].name);
      }
    }
    return Status.success();
  }

  runUnreserve(state: CycleState, pod: any, node: string): void {
    for (let j = this.plugins.reserve.length - 1; j >= 0; j--) this.plugins.reserve[j].unreserve(state, pod, node);
  }

  runPermit(state: CycleState, pod: any, node: string): Status {
    for (const p of this.plugins.permit) {
      const r = p.permit(state, pod, node);
      if (!r.status.isSuccess()) return r.status.withPlugin(p.name);
    }
    return Status.success();
  }

  /** PreBind plugins, then the first Bind plugin that does not Skip. */
  async runBind(state: CycleState, pod: any, node: string): Promise<Status> {
    for (const p of this.plugins.preBind ?? []) {
      const s = await p.preBind(state, pod, node);
      if (s.code !== Code.Skip && !s.isSuccess()) return new Status(s.code, [`running PreBind plugin "${p.name}": ${s.reasons.join(', ')}`], p.name);
    }
    for (const p of this.plugins.bind) {
      const s = await p.bind(state, pod, node);
      if (s.code === Code.Skip) continue;
      return s.isSuccess() ? s : s.withPlugin(p.name);
    }
    return new Status(Code.Error, ['no bind plugin bound the pod']);
  }

  /**
   * How many feasible nodes to find before scoring (upstream's numFeasibleNodesToFind):
   * all when ≤ 100 nodes; else percentage (adaptive 50 − nodes/125, at least 5 %) of nodes,
   * at least 100. E.g. 5,000 nodes → 10 % → 500.
   */
  numFeasibleNodesToFind(numNodes: number): number {
    if (numNodes < 100) return numNodes;
    let pct = this.percentageOfNodesToScore;
    if (!pct) {
      pct = Math.max(5, 50 - Math.floor(numNodes / 125));
    }
    if (pct >= 100) return numNodes;
    return Math.max(100, Math.floor((numNodes * pct) / 100));
  }
}
