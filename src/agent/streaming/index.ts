/**
 * The agent's streaming surface: the kubelet-style endpoint (logs, exec, attach,
 * port-forward) and how an agent plugs into it. Wiring a node agent:
 *
 *   const streaming = new StreamingServer({ tls: { certPem, keyPem, caPem }, token, log });
 *   identity.kubeletPort = await streaming.listen(agentStreamingNode(agent, informers), hostIP, 10250);
 *   await agent.start(signal); // registers the Node with daemonEndpoints.kubeletEndpoint.Port
 */
import type { InformerFactory } from '../../client/clientset.js';
import type { NodeAgent } from '../agent.js';
import type { StreamingNode } from './server.js';

export { StreamingServer, type StreamingNode, type StreamingServerOptions } from './server.js';
export { resourceMetricsText, nanosToSeconds, type ResourceMetricsNode } from './resource-metrics.js';
export { CriLogWriter, readCriLog, parseCriLine, formatCriLine } from './cri-log.js';
export type { InProcessStreaming, StreamIO } from './types.js';

/**
 * What the streaming server needs of an agent: its runtime, and its pods from the informer
 * cache. hostStats: the node's usage is the host's (a real node), not its containers' sum.
 */
export function agentStreamingNode(agent: NodeAgent, informers: InformerFactory, o: { hostStats?: boolean } = {}): StreamingNode {
  const pods = informers.informer('pods');
  return {
    nodeName: agent.nodeName,
    runtime: () => agent.containerRuntime,
    pod: (ns, name) => pods.cache.getByName(ns, name),
    pods: () => pods.cache.list().filter((p: any) => p.spec?.nodeName === agent.nodeName),
    hostStats: o.hostStats,
  };
}
