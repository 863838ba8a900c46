/**
 * Hollow nodes (`skiff server --simulated-nodes N`, `skiff agent --simulated`): N node
 * agents in one process on the simulated runtime, sharing informers. They say loudly
 * that they run no containers. Given TLS material they also serve the kubelet streaming
 * endpoint (logs, exec, attach, port-forward), one listener per node at its address.
 */
import { release } from 'node:os';
import { join } from 'node:path';
import type { Clientset, InformerFactory } from '../client/clientset.js';
import type { Logger } from '../util/log.js';
import { NodeAgent, PodDispatcher } from './agent.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import { SKIFF_VERSION } from '../apiserver/version.js';
import { agentStreamingNode, StreamingServer } from './streaming/index.js';

export interface SimulatedNodesOptions {
  cs: Clientset;
  informers: InformerFactory;
  count: number;
  namePrefix?: string;
  capacity?: { cpu: string; memory: string; pods: string };
  labels?: (i: number) => Record<string, string>;
  startDelayMs?: number;
  log: Logger;
  /** Container logs of every node go under <logDir>/<node>/. */
  logDir?: string;
  /** The streaming endpoint's certificate (from the cluster CA) and the token it accepts. */
  streaming?: { tls: { certPem: string; keyPem: string; caPem: string }; token?: string };
}

/** Hollow nodes beyond this many get no streaming listener (each is a listening socket). */
export const MAX_STREAMING_LISTENERS = 1000;

/** Host addresses of hollow nodes are loopback addresses (127.1.x.y): nothing sent to them can leave the machine. */
export function simulatedHostIP(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function startSimulatedNodes(o: SimulatedNodesOptions, signal: AbortSignal): NodeAgent[] {
  o.log.warn('starting simulated nodes: pods on them run no containers', { count: o.count });
  const dispatcher = new PodDispatcher(o.informers);
  const agents: NodeAgent[] = [];
  const streaming = o.streaming ? new StreamingServer({ tls: o.streaming.tls, token: o.streaming.token, log: o.log.child('streaming') }) : undefined;
  if (streaming) signal.addEventListener('abort', () => void streaming.close(), { once: true });
  for (let i = 0; i < o.count; i++) {
    const name = `${o.namePrefix ?? 'sim-node'}-${i}`;
    const agent = new NodeAgent({
      cs: o.cs,
      informers: o.informers,
      log: o.log,
      identity: {
        name,
        hostIP: simulatedHostIP(i),
        capacity: o.capacity ?? { cpu: '4', memory: '16Gi', pods: '110' },
        labels: { 'node.skiff.dev/simulated': 'true', ...o.labels?.(i) },
        runtimeVersion: `simulated://${SKIFF_VERSION}`,
        // Hollow nodes run on this machine's kernel.
        kernelVersion: release(),
      },
      runtime: (podCidr) => new SimulatedRuntime({ podCidr, startDelayMs: o.startDelayMs, logDir: o.logDir ? join(o.logDir, name) : undefined }),
      workers: 2,
      // Simulated pod IPs are not on this machine: network probes must not send anything.
      probeNetwork: false,
    });
    dispatcher.add(agent);
    agents.push(agent);
  }
  o.informers.start(signal);
  agents.forEach((a, i) => {
    const start = async () => {
      if (streaming && i < MAX_STREAMING_LISTENERS) {
        try {
          a.o.identity.kubeletPort = await streaming.listen(agentStreamingNode(a, o.informers), a.o.identity.hostIP, 0);
        } catch (err) {
          o.log.warn('no streaming endpoint for this node', { node: a.nodeName, err });
        }
      }
      await a.start(signal);
    };
    void start().catch((err) => o.log.error('agent failed', { node: a.nodeName, err }));
  });
  return agents;
}
