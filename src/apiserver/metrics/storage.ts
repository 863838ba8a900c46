/**
 * The metrics store, as metrics-server's: the last two scrapes of every node, from which
 * usage is computed. CPU is a rate, the difference of two cumulative counters over the
 * time between them (the `window`); memory is the last working set. A container that
 * restarted (new start time) or is seen for the first time is rated from its start
 * time instead (metrics-server's "start time as the first point"), so a pod has metrics
 * after one scrape; a node needs two.
 */

export interface Point {
  timestampMs: number;
  /** Cumulative cpu time, core-nanoseconds. */
  cpuNanos: number;
  memoryBytes: number;
  startMs?: number;
}

export interface NodeBatch {
  node?: Point;
  /** key: namespace/pod → container → point */
  pods: Map<string, Map<string, Point>>;
}

export interface Usage {
  timestampMs: number;
  windowMs: number;
  nanoCores: number;
  memoryBytes: number;
}

interface NodeEntry {
  prev?: NodeBatch;
  last: NodeBatch;
}

/** The rate between two points of one counter (undefined when it cannot be computed). */
function usageOf(last: Point, prev: Point | undefined): Usage | undefined {
  let from: { timestampMs: number; cpuNanos: number } | undefined;
  if (prev && prev.startMs === last.startMs && last.timestampMs > prev.timestampMs && last.cpuNanos >= prev.cpuNanos) from = prev;
  else if (last.startMs !== undefined && last.timestampMs > last.startMs) from = { timestampMs: last.startMs, cpuNanos: 0 };
  if (!from) return undefined;
  const windowMs = last.timestampMs - from.timestampMs;
  // core-ns per ms × 1000 = core-ns per s = nano-cores.
  return { timestampMs: last.timestampMs, windowMs, nanoCores: Math.round(((last.cpuNanos - from.cpuNanos) * 1000) / windowMs), memoryBytes: last.memoryBytes };
}

export class MetricsStorage {
  private readonly nodes = new Map<string, NodeEntry>();
  /** Which node last reported a pod (namespace/name). */
  private readonly podNode = new Map<string, string>();

  store(node: string, batch: NodeBatch): void {
    const e = this.nodes.get(node);
    if (e) for (const k of e.last.pods.keys()) if (this.podNode.get(k) === node) this.podNode.delete(k);
    this.nodes.set(node, { prev: e?.last, last: batch });
    for (const k of batch.pods.keys()) this.podNode.set(k, node);
  }

  /** Forgets nodes that are gone (or failed to answer). */
  forget(node: string): void {
    const e = this.nodes.get(node);
    if (!e) return;
    for (const k of e.last.pods.keys()) if (this.podNode.get(k) === node) this.podNode.delete(k);
    this.nodes.delete(node);
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  nodeUsage(node: string): Usage | undefined {
    const e = this.nodes.get(node);
    const last = e?.last.node;
    const prev = e?.prev?.node;
    if (!last || !prev || last.timestampMs <= prev.timestampMs || last.cpuNanos < prev.cpuNanos) return undefined;
    return usageOf({ ...last, startMs: undefined }, { ...prev, startMs: undefined });
  }

  /** Usage per container of a pod; undefined unless every container reported has a rate. */
  podUsage(namespace: string, name: string): { timestampMs: number; windowMs: number; containers: { name: string; usage: Usage }[] } | undefined {
    const key = `${namespace}/${name}`;
    const node = this.podNode.get(key);
    const e = node ? this.nodes.get(node) : undefined;
    const last = e?.last.pods.get(key);
    if (!e || !last || !last.size) return undefined;
    const prev = e.prev?.pods.get(key);
    const containers: { name: string; usage: Usage }[] = [];
    for (const [c, p] of last) {
      const u = usageOf(p, prev?.get(c));
      if (!u) return undefined;
      containers.push({ name: c, usage: u });
    }
    containers.sort((a, b) => a.name.localeCompare(b.name));
    return { timestampMs: Math.max(...containers.map((c) => c.usage.timestampMs)), windowMs: Math.max(...containers.map((c) => c.usage.windowMs)), containers };
  }
}
