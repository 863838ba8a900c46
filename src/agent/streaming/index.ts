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
  const byUid = podsByUid(informers);
  return {
    nodeName: agent.nodeName,
    runtime: () => agent.containerRuntime,
    pod: (ns, name) => pods.cache.getByName(ns, name),
    podByUid: (uid) => byUid.get(uid),
    hostStats: o.hostStats,
  };
}

/** One pod-by-uid index per informer factory, shared by the hollow nodes of a process. */
const uidIndexes = new WeakMap<InformerFactory, Map<string, any>>();
function podsByUid(informers: InformerFactory): Map<string, any> {
  let idx = uidIndexes.get(informers);
  if (!idx) {
    const m = (idx = new Map<string, any>());
    uidIndexes.set(informers, m);
    informers.informer('pods').addHandlers({
      onAdd: (p: any) => m.set(p.metadata.uid, p),
      onUpdate: (_o: any, p: any) => m.set(p.metadata.uid, p),
      onDelete: (p: any) => m.delete(p.metadata.uid),
    });
  }
  return idx;
}
