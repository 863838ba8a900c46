/**
 * Shared types of the kubelet's probes and lifecycle hooks: one attempt of a handler
 * (exec, httpGet, tcpSocket, grpc) gives a result and an output, as upstream's
 * probe.Result: `failure` counts towards failureThreshold, `unknown` (the probe could not
 * run: bad port name, runtime without exec) leaves the probe state unchanged.
 */
import type { Runtime } from '../runtime/types.js';

export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  /** What upstream puts after "Liveness probe failed: " in the Unhealthy event. */
  output: string;
}

export type ProbeType = 'liveness' | 'readiness' | 'startup';

/** Where one handler runs: the container, its pod IP, and whether the pod network is reachable. */
export interface HandlerTarget {
  runtime: Runtime;
  containerId: string;
  /** The container's spec (named ports are resolved from spec.ports). */
  container: any;
  podIP: string;
  /**
   * False on simulated nodes, whose pod IPs are not on this machine: network handlers
   * then succeed without sending anything (no packet may leave the machine).
   */
  network: boolean;
}
