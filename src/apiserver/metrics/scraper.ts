/**
 * The scraper half of metrics-server, in the API server: every resolution period
 * (metrics-server's --metric-resolution, 15 s by default) it GETs /metrics/resource from
 * every node's agent (the kubelet endpoint, with the API server's kubelet client
 * certificate) and stores the samples. A node that does not answer loses its metrics
 * until it does again, as in metrics-server.
 */
import { setMaxListeners } from 'node:events';
import { request } from 'node:https';
import type { Registry } from '../../api/registry.js';
import type { Logger } from '../../util/log.js';
import type { ObjectStore } from '../object-store.js';
import { kubeletTlsOptions, nodeLocationOf, type KubeletClientConfig } from '../rest/pod-stream.js';
import { parsePrometheusText } from './prometheus-text.js';
import { MetricsStorage, type NodeBatch, type Point } from './storage.js';

export interface MetricsScraperOptions {
  registry: Registry;
  store: ObjectStore;
  kubelet: KubeletClientConfig;
  /** Scrape period (metrics-server's --metric-resolution). */
  resolutionMs: number;
  log?: Logger;
  /** Nodes scraped at once. */
  concurrency?: number;
}

function fetchText(url: { host: string; port: number; path: string }, kubelet: KubeletClientConfig, timeoutMs: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = request({ host: url.host, port: url.port, path: url.path, method: 'GET', timeout: timeoutMs, signal, ...kubeletTlsOptions(kubelet) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`request failed, status: ${res.statusCode}`))));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end();
  });
}

/** The samples of one /metrics/resource document. */
export function batchOf(text: string): NodeBatch {
  const batch: NodeBatch = { pods: new Map() };
  const containers = new Map<string, Point>();
  let nodeCpu: { v: number; t?: number } | undefined;
  let nodeMem: number | undefined;
  const container = (l: Record<string, string>): Point | undefined => {
    if (!l.namespace || !l.pod || !l.container) return undefined;
    const k = `${l.namespace}/${l.pod}\0${l.container}`;
    let p = containers.get(k);
    if (!p) containers.set(k, (p = { timestampMs: 0, cpuNanos: -1, memoryBytes: -1 }));
    return p;
  };
  for (const s of parsePrometheusText(text)) {
    switch (s.name) {
      case 'node_cpu_usage_seconds_total':
        nodeCpu = { v: s.nanos, t: s.timestampMs };
        break;
      case 'node_memory_working_set_bytes':
        nodeMem = s.value;
        break;
      case 'container_cpu_usage_seconds_total': {
        const p = container(s.labels);
        if (p) (p.cpuNanos = s.nanos), (p.timestampMs = s.timestampMs ?? Date.now());
        break;
      }
      case 'container_memory_working_set_bytes': {
        const p = container(s.labels);
        if (p) p.memoryBytes = s.value;
        break;
      }
      case 'container_start_time_seconds': {
        const p = container(s.labels);
        if (p) p.startMs = Math.round(s.value * 1000);
        break;
      }
    }
  }
  if (nodeCpu && nodeMem !== undefined) batch.node = { timestampMs: nodeCpu.t ?? Date.now(), cpuNanos: nodeCpu.v, memoryBytes: nodeMem };
  for (const [k, p] of containers) {
    // A container needs both figures (metrics-server drops incomplete ones).
    if (p.cpuNanos < 0 || p.memoryBytes < 0) continue;
    const [pod, name] = k.split('\0');
    let m = batch.pods.get(pod);
    if (!m) batch.pods.set(pod, (m = new Map()));
    m.set(name, p);
  }
  return batch;
}

export class MetricsScraper {
  readonly storage: MetricsStorage;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** Aborts the scrapes in flight at stop(). */
  private readonly ac = new AbortController();

  constructor(private readonly o: MetricsScraperOptions) {
    this.storage = new MetricsStorage(o.resolutionMs);
    // Every scrape in flight listens on it.
    setMaxListeners(0, this.ac.signal);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.scrapeAll().catch((err) => (this.stopped ? undefined : this.o.log?.warn('metrics scrape failed', { err })));
      void this.running.finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.resolutionMs);
        this.timer?.unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ac.abort();
    await this.running;
  }

  /** One round: every node, a few at a time. */
  async scrapeAll(): Promise<void> {
    const def = this.o.registry.lookup('', 'v1', 'nodes')!;
    const nodes = await this.o.store.list(def);
    const names = new Set(nodes.map((n) => n.metadata.name));
    for (const n of this.storage.nodeNames()) if (!names.has(n)) this.storage.forget(n);
    const queue = [...nodes];
    const timeoutMs = Math.max(1000, Math.min(10_000, this.o.resolutionMs));
    const worker = async () => {
      for (let n = queue.shift(); n && !this.stopped; n = queue.shift()) {
        const name = n.metadata.name;
        const loc = nodeLocationOf(n);
        if (!loc) continue;
        try {
          const text = await fetchText({ ...loc, path: '/metrics/resource' }, this.o.kubelet, timeoutMs, this.ac.signal);
          this.storage.store(name, batchOf(text));
        } catch (err) {
          this.storage.forget(name);
          this.o.log?.debug('failed to scrape node', { node: name, err });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 16, queue.length) }, worker));
  }
}
