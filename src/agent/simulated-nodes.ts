/**
 * Hollow nodes (`skiff server --simulated-nodes N`, `skiff agent --simulated`): N node
 * agents in one process on the simulated runtime, sharing informers. They say loudly
 * that they run no containers.
 */
import type { Clientset, InformerFactory } from '../client/clientset.js';
import type { Logger } from '../util/log.js';
import { NodeAgent, PodDispatcher } from './agent.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import { SKIFF_VERSION } from '../apiserver/version.js';

export interface SimulatedNodesOptions {
  cs: Clientset;
  informers: InformerFactory;
  count: number;
  namePrefix?: string;
  capacity?: { cpu: string; memory: string; pods: string };
  labels?: (i: number) => Record<string, string>;
  startDelayMs?: number;
  log: Logger;
}

/** Host addresses of hollow nodes are loopback addresses (127.1.x.y): nothing sent to them can leave the machine. */
export function simulatedHostIP(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function startSimulatedNodes(o: SimulatedNodesOptions, signal: AbortSignal): NodeAgent[] {
  o.log.warn('starting simulated nodes: pods on them run no containers', { count: o.count });
  const dispatcher = new PodDispatcher(o.informers);
  const agents: NodeAgent[] = [];
  for (let i = 0; i < o.count; i++) {
    const agent = new NodeAgent({
      cs: o.cs,
      informers: o.informers,
      log: o.log,
      identity: {
        name: `${o.namePrefix ?? 'sim-node'}-${i}`,
        hostIP: simulatedHostIP(i),
        capacity: o.capacity ?? { cpu: '4', memory: '16Gi', pods: '110' },
        labels: { 'node.skiff.dev/simulated': 'true', ...o.labels?.(i) },
        runtimeVersion: `simulated://${SKIFF_VERSION}`,
      },
      runtime: (podCidr) => new SimulatedRuntime({ podCidr, startDelayMs: o.startDelayMs }),
      workers: 2,
      // Simulated pod IPs are not on this machine: network probes must not send anything.
      probeNetwork: false,
    });
    dispatcher.add(agent);
    agents.push(agent);
  }
  o.informers.start(signal);
  for (const a of agents) void a.start(signal).catch((err) => o.log.error('agent failed', { node: a.nodeName, err }));
  return agents;
}
