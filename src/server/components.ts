/**
 * The cluster's client-side components — controller manager, scheduler, simulated node
 * agents — started over any API endpoint, so the same code runs inside `skiff server`
 * and as its own process (`skiff controller-manager`, `skiff scheduler`, `skiff agent`).
 * The controller manager and the scheduler run under leader election (kube-system
 * Leases `kube-controller-manager` and `kube-scheduler`), so several servers can run them
 * and exactly one acts.
 */
import { Clientset, InformerFactory } from '../client/clientset.js';
import { LeaderElector } from '../client/leader-election.js';
import type { RestClient } from '../client/rest.js';
import { startControllerManager } from '../controllers/manager.js';
import type { PodGcOptions } from '../controllers/podgc/controller.js';
import type { PersistentVolumeOptions } from '../controllers/persistentvolume/controller.js';
import type { HpaOptions } from '../controllers/horizontalpodautoscaler/controller.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import type { Logger } from '../util/log.js';

export interface ComponentOptions {
  rest: RestClient;
  /** Informers shared with the other components of this process (read-only caches). */
  shared?: InformerFactory;
  log: Logger;
  /** Leader election identity (stable per server, so a restarted server takes its lease back at once). */
  identity: string;
  leaderElect?: boolean;
  /** Lease duration, renew deadline, retry period (Kubernetes' 15 s / 10 s / 2 s when absent). */
  leaderElection?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
}

async function elected(o: ComponentOptions, lease: string, signal: AbortSignal, run: (s: AbortSignal) => Promise<unknown>): Promise<void> {
  if (o.leaderElect === false) {
    await run(signal);
    return;
  }
  const cs = new Clientset(o.rest, lease);
  await new LeaderElector({ cs, namespace: 'kube-system', name: lease, identity: o.identity, log: o.log, ...o.leaderElection }).run(signal, run);
}

export function runControllerManager(o: ComponentOptions & { clusterCidr: string; serviceAccountKeyPem?: string; podGc?: Partial<PodGcOptions>; storage?: PersistentVolumeOptions; hpa?: Partial<HpaOptions> }, signal: AbortSignal): Promise<void> {
  return elected(o, 'kube-controller-manager', signal, async (s) => {
    // Fresh informers per term of leadership: a new leader starts from a fresh list.
    const cs = new Clientset(o.rest, 'kube-controller-manager');
    const informers = o.shared ?? new InformerFactory(cs, o.log.child('informers'));
    // The CA that verifies the API server for this client is the one pods must trust too.
    await startControllerManager({ cs, informers, log: o.log, clusterCidr: o.clusterCidr, rootCaPem: o.rest.creds.caPem, serviceAccountKeyPem: o.serviceAccountKeyPem, podGc: o.podGc, storage: o.storage, hpa: o.hpa }, s);
  });
}

export function runScheduler(o: ComponentOptions & { config?: any }, signal: AbortSignal): Promise<void> {
  return elected(o, 'kube-scheduler', signal, async (s) => {
    const cs = new Clientset(o.rest, 'default-scheduler');
    const informers = o.shared ?? new InformerFactory(cs, o.log.child('informers'));
    const sched = new Scheduler({ cs, informers, log: o.log, config: o.config });
    informers.start(s);
    await sched.start(s);
  });
}

export interface SimulatedAgentOptions {
  rest: RestClient;
  shared?: InformerFactory;
  log: Logger;
  count: number;
  namePrefix?: string;
  capacity?: { cpu: string; memory: string; pods: string };
  startDelayMs?: number;
  /** Container logs go here (per node). */
  logDir?: string;
  /** TLS for the nodes' streaming endpoint (logs, exec, attach, port-forward); none without it. */
  streaming?: { tls: { certPem: string; keyPem: string; caPem: string }; token?: string };
}

export async function runSimulatedAgents(o: SimulatedAgentOptions, signal: AbortSignal): Promise<void> {
  const cs = new Clientset(o.rest, 'skiff-agent');
  const informers = o.shared ?? new InformerFactory(cs, o.log.child('informers'));
  startSimulatedNodes({ cs, informers, count: o.count, namePrefix: o.namePrefix, capacity: o.capacity, startDelayMs: o.startDelayMs, log: o.log, logDir: o.logDir, streaming: o.streaming }, signal);
  await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
}
