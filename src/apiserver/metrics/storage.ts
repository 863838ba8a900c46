/**
 * The metrics store, as metrics-server's: the last two scrapes of every node, from which
 * usage is computed. CPU is a rate, the difference of two cumulative counters over the
 * time between them (the `window`); memory is the last working set. A container that
 * started less than one resolution before its sample, but at least 10 s before it, is
 * rated from its start time (a counter of 0 then), so it has metrics after one scrape;
 * otherwise a container needs two samples of the same start time, a node two samples.
 * A pod has metrics once every container has; its timestamp and window are those of its
 * container with the earliest sample.
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

/** metrics-server's freshContainerMinMetricsResolution: a shorter life gives inaccurate rates. */
const FRESH_CONTAINER_MIN_MS = 10_000;

/** The rate between two points of one counter (undefined when it cannot be computed). */
function usageOf(last: Point, prev: Point | undefined, resolutionMs: number): Usage | undefined {
  let from: { timestampMs: number; cpuNanos: number } | undefined;
  const age = last.startMs !== undefined ? last.timestampMs - last.startMs : undefined;
  if (age !== undefined && age > 0 && age < resolutionMs && age >= FRESH_CONTAINER_MIN_MS) from = { timestampMs: last.startMs!, cpuNanos: 0 };
  else if (prev && prev.startMs === last.startMs && last.timestampMs > prev.timestampMs && last.cpuNanos >= prev.cpuNanos) from = prev;
  if (!from) return undefined;
  const windowMs = last.timestampMs - from.timestampMs;
  // core-ns per ms × 1000 = core-ns per s = nano-cores.
  return { timestampMs: last.timestampMs, windowMs, nanoCores: Math.round(((last.cpuNanos - from.cpuNanos) * 1000) / windowMs), memoryBytes: last.memoryBytes };
}

export class MetricsStorage {
  /** resolutionMs: the scrape period (fresh containers are rated from their start within it). */
  constructor(private readonly resolutionMs: number) {}

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
    return usageOf({ ...last, startMs: undefined }, { ...prev, startMs: undefined }, this.resolutionMs);
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
      const u = usageOf(p, prev?.get(c), this.resolutionMs);
      if (!u) return undefined;
      containers.push({ name: c, usage: u });
    }
    containers.sort((a, b) => a.name.localeCompare(b.name));
    const earliest = containers.reduce((a, c) => (c.usage.timestampMs < a.usage.timestampMs ? c : a));
    return { timestampMs: earliest.usage.timestampMs, windowMs: earliest.usage.windowMs, containers };
  }
}
