/**
 * One probe of one container (upstream's prober worker): each period it looks at the
 * container, runs the probe when due and turns runs of results into the probe's state
 * with successThreshold/failureThreshold. As the kubelet:
 *   - a new container instance resets the state to the initial value: readiness
 *     failure (not ready until a probe succeeds), liveness success, startup unknown;
 *   - no probe runs before initialDelaySeconds after the container started;
 *   - until the startup probe succeeded only it runs; afterwards it no longer runs;
 *   - a liveness or startup failure puts the worker on hold until the container is
 *     replaced (the agent kills it);
 *   - once the pod is being deleted liveness and startup report success and stop;
 *   - every failed attempt is an `Unhealthy` event ("Liveness probe failed: ...").
 */
import { isSidecar } from '../lifecycle/sidecars.js';
import { runProbe } from './handler.js';
import type { HandlerTarget, ProbeOutcome, ProbeType } from './types.js';

export type ProbeState = 'success' | 'failure' | undefined;

/** The container as the worker sees it (from the agent's runtime records). */
export interface ContainerView {
  id: string;
  running: boolean;
  terminated: boolean;
  startedAt?: number;
}

export interface WorkerContext {
  pod: any;
  container(name: string): ContainerView | undefined;
  /** Whether the container has passed its startup probe (or has none). */
  started(name: string, id: string): boolean;
  target(spec: any, containerId: string): HandlerTarget;
  now(): number;
  /** Runs one attempt; tests may swap it. */
  probe?: (probe: any, t: HandlerTarget) => Promise<ProbeOutcome>;
  event(type: 'Warning' | 'Normal', reason: string, message: string, containerName: string): void;
  changed(): void;
}

const TITLE: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export class ProbeWorker {
  containerId?: string;
  state: ProbeState;
  private lastResult?: 'success' | 'failure';
  private resultRun = 0;
  private onHold = false;

  constructor(
    readonly type: ProbeType,
    readonly container: any,
    readonly probe: any,
  ) {}

  get periodMs(): number {
    return (this.probe.periodSeconds || 10) * 1000;
  }

  private initial(): ProbeState {
    return this.type === 'readiness' ? 'failure' : this.type === 'liveness' ? 'success' : undefined;
  }

  private set(state: ProbeState, ctx: WorkerContext): void {
    if (this.state === state) return;
    this.state = state;
    ctx.changed();
  }

  /** The state for this container instance (undefined when the worker has not seen it yet). */
  stateFor(containerId: string): ProbeState {
    return this.containerId === containerId ? this.state : undefined;
  }

  /** One tick; returns false when the worker should stop. */
  async doProbe(ctx: WorkerContext): Promise<boolean> {
    const name = this.container.name;
    const c = ctx.container(name);
    if (!c) return true;
    if (c.id !== this.containerId) {
      this.containerId = c.id;
      this.onHold = false;
      this.set(this.initial(), ctx);
    }
    if (!c.running) {
      this.set('failure', ctx);
      // A terminated container that will never restart needs no more probing (sidecars always restart).
      return !(c.terminated && ctx.pod.spec?.restartPolicy === 'Never' && !isSidecar(this.container));
    }
    if (this.onHold) return true;
    if (ctx.pod.metadata?.deletionTimestamp && this.type !== 'readiness') {
      this.set('success', ctx);
      return false;
    }
    if (c.startedAt !== undefined && ctx.now() - c.startedAt < (this.probe.initialDelaySeconds ?? 0) * 1000) return true;
    const started = ctx.started(name, c.id);
    if (started ? this.type === 'startup' : this.type !== 'startup') return true;

    const outcome = await (ctx.probe ?? runProbe)(this.probe, ctx.target(this.container, c.id));
    if (this.containerId !== c.id) return true; // replaced while probing
    if (outcome.result === 'unknown') {
      ctx.event('Warning', 'Unhealthy', `${TITLE[this.type]} probe errored: ${outcome.output}`, name);
      return true;
    }
    if (outcome.result === 'failure') ctx.event('Warning', 'Unhealthy', `${TITLE[this.type]} probe failed: ${outcome.output}`, name);
    if (this.lastResult === outcome.result) this.resultRun++;
    else {
      this.lastResult = outcome.result;
      this.resultRun = 1;
    }
    const threshold = outcome.result === 'failure' ? (this.probe.failureThreshold || 3) : (this.probe.successThreshold || 1);
    if (this.resultRun < threshold) return true;
    this.set(outcome.result, ctx);
    if (outcome.result === 'failure' && this.type !== 'readiness') {
      // The agent kills the container; probing it meanwhile could only race the stop.
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
