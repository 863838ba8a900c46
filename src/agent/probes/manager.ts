/**
 * The probe manager (upstream prober_manager): one worker per container and probe type
 * for every pod on the node, each ticking on its own periodSeconds timer. The agent's pod
 * worker reads the results (started, ready, must-kill) when it syncs a pod, and the
 * manager asks for a sync whenever a result changes. Time comes from an injectable clock.
 */
import { isSidecar } from '../lifecycle/sidecars.js';
import type { Runtime } from '../runtime/types.js';
import type { HandlerTarget, ProbeOutcome, ProbeType } from './types.js';
import { ProbeWorker, type ContainerView, type WorkerContext } from './worker.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What the pod worker shows the probes of one pod. */
export interface PodProbeView {
  pod: any;
  podIP: string;
  container(name: string): ContainerView | undefined;
}

export interface ProbeManagerOptions {
  runtime: Runtime;
  /** False on simulated nodes: network probes succeed without traffic. */
  network: boolean;
  clock?: Clock;
  onChange(key: string): void;
  event(pod: any, containerName: string, type: 'Warning' | 'Normal', reason: string, message: string): void;
  /** Runs one attempt (tests may replace it). */
  probe?: (probe: any, t: HandlerTarget) => Promise<ProbeOutcome>;
}

interface Entry {
  key: string;
  view: PodProbeView;
  workers: ProbeWorker[];
  timers: Map<ProbeWorker, unknown>;
  running: Set<ProbeWorker>;
  stopped: boolean;
}

const TYPES: [ProbeType, string][] = [
  ['startup', 'startupProbe'],
  ['liveness', 'livenessProbe'],
  ['readiness', 'readinessProbe'],
];

export class ProbeManager {
  private readonly pods = new Map<string, Entry>();
  private readonly clock: Clock;

  constructor(private readonly o: ProbeManagerOptions) {
    this.clock = o.clock ?? realClock;
  }

  /**
   * Starts workers for a pod's probes (once) and refreshes what they see. With `jitter`
   * (containers adopted after an agent restart) each worker's first probe waits a random
   * part of its period, as upstream's workers do when the kubelet has just started, so
   * the probes of every pod on the node do not all fire at once.
   */
  sync(key: string, view: PodProbeView, o: { jitter?: boolean } = {}): void {
    let e = this.pods.get(key);
    if (e) {
      e.view = view;
      return;
    }
    e = { key, view, workers: [], timers: new Map(), running: new Set(), stopped: false };
    // App containers and sidecars (restartable init containers) are probed.
    const probed = [...(view.pod.spec?.containers ?? []), ...(view.pod.spec?.initContainers ?? []).filter(isSidecar)];
    for (const c of probed) for (const [type, field] of TYPES) if (c[field]) e.workers.push(new ProbeWorker(type, c, c[field]));
    this.pods.set(key, e);
    for (const w of e.workers) {
      if (o.jitter) e.timers.set(w, this.clock.setTimeout(() => void this.tick(e, w), Math.random() * w.periodMs));
      else void this.tick(e, w);
    }
  }

  /** Stops a pod's workers (pod gone or terminal). */
  remove(key: string): void {
    const e = this.pods.get(key);
    if (!e) return;
    e.stopped = true;
    for (const t of e.timers.values()) this.clock.clearTimeout(t);
    this.pods.delete(key);
  }

  has(key: string): boolean {
    return this.pods.has(key);
  }

  private worker(key: string, name: string, type: ProbeType): ProbeWorker | undefined {
    return this.pods.get(key)?.workers.find((w) => w.container.name === name && w.type === type);
  }

  /** containerStatuses[].started: a running container that passed its startup probe (or has none). */
  started(key: string, name: string, containerId: string): boolean {
    const w = this.worker(key, name, 'startup');
    return !w || w.stateFor(containerId) === 'success';
  }

  /** containerStatuses[].ready for a running, started container: its readiness probe succeeded (or it has none). */
  ready(key: string, name: string, containerId: string): boolean {
    const w = this.worker(key, name, 'readiness');
    if (!w) return true;
    const s = w.stateFor(containerId);
    // As upstream, a started container that is not ready gets a readiness probe at once
    // (the kubelet's manual trigger), so readiness does not wait a whole period.
    if (s !== 'success') this.trigger(key, w);
    return s === 'success';
  }

  /** Why a running container must be killed: a failed liveness or startup probe. */
  killReason(key: string, name: string, containerId: string): 'liveness' | 'startup' | undefined {
    if (this.worker(key, name, 'liveness')?.stateFor(containerId) === 'failure') return 'liveness';
    if (this.worker(key, name, 'startup')?.stateFor(containerId) === 'failure') return 'startup';
    return undefined;
  }

  private trigger(key: string, w: ProbeWorker): void {
    const e = this.pods.get(key);
    if (e && !e.running.has(w)) void this.tick(e, w, false);
  }

  private context(e: Entry): WorkerContext {
    const v = e.view;
    return {
      pod: v.pod,
      container: (n) => e.view.container(n),
      started: (n, id) => this.started(e.key, n, id),
      target: (spec, containerId) => ({ runtime: this.o.runtime, containerId, container: spec, podIP: e.view.podIP, network: this.o.network }),
      now: () => this.clock.now(),
      probe: this.o.probe,
      event: (type, reason, message, name) => this.o.event(e.view.pod, name, type, reason, message),
      changed: () => this.o.onChange(e.key),
    };
  }

  private async tick(e: Entry, w: ProbeWorker, reschedule = true): Promise<void> {
    if (e.stopped) return;
    if (e.running.has(w)) {
      if (reschedule) this.schedule(e, w);
      return;
    }
    e.running.add(w);
    let keep = true;
    try {
      keep = await w.doProbe(this.context(e));
    } catch {
      keep = true;
    } finally {
      e.running.delete(w);
    }
    if (keep && reschedule) this.schedule(e, w);
  }

  private schedule(e: Entry, w: ProbeWorker): void {
    if (e.stopped) return;
    e.timers.set(w, this.clock.setTimeout(() => void this.tick(e, w), w.periodMs));
  }
}
