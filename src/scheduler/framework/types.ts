/**
 * The scheduling framework's contracts, after kube-scheduler's: a plugin implements one
 * or more extension points (PreFilter, Filter, PostFilter, PreScore, Score, Reserve,
 * Permit, Bind); expected outcomes are Status codes, not exceptions.
 */
import type { NodeInfo } from './node-info.js';
import type { CycleState } from './cycle-state.js';

export enum Code {
  Success = 0,
  Error = 1,
  /** The pod does not fit now; preemption may help. */
  Unschedulable = 2,
  /** The pod does not fit, and preemption cannot help (e.g. node selector mismatch). */
  UnschedulableAndUnresolvable = 3,
  Wait = 4,
  Skip = 5,
}

export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: string[] = [],
    readonly plugin = '',
  ) {}
  static success(): Status {
    return SUCCESS;
  }
  isSuccess(): boolean {
    return this.code === Code.Success;
  }
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }
  withPlugin(p: string): Status {
    return new Status(this.code, this.reasons, p);
  }
}
const SUCCESS = new Status(Code.Success);

export const unschedulable = (...reasons: string[]) => new Status(Code.Unschedulable, reasons);
export const unresolvable = (...reasons: string[]) => new Status(Code.UnschedulableAndUnresolvable, reasons);
export const skip = () => new Status(Code.Skip);
export const errorStatus = (msg: string) => new Status(Code.Error, [msg]);

export const MAX_NODE_SCORE = 100;

export interface NodeScore {
  name: string;
  score: number;
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterResult {
  /** Restricts filtering to these nodes (e.g. NodeName, matchFields on metadata.name). */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: any, nodes: NodeInfo[]): { status: Status; result?: PreFilterResult };
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: any, node: NodeInfo): Status;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: any, statuses: Map<string, Status>): Promise<{ status: Status; result?: PostFilterResult }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: any, nodes: NodeInfo[]): Status;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: any, node: NodeInfo): { score: number; status?: Status };
  /** Rescales scores to 0..MAX_NODE_SCORE in place. */
  normalizeScore?(state: CycleState, pod: any, scores: NodeScore[]): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: any, nodeName: string): Status;
  unreserve(state: CycleState, pod: any, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: any, nodeName: string): { status: Status; timeoutMs?: number };
}

/** PreBind: work before the pod is bound (e.g. VolumeBinding making its claims bound); may wait. */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: any, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: any, nodeName: string): Promise<Status>;
}

/** Everything a plugin factory may need. */
export interface PluginHandle {
  /** All nodes (snapshot for this cycle). */
  nodes(): NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  /** PriorityClass value by name (for preemption). */
  priorityClassValue(name: string | undefined): number | undefined;
}
