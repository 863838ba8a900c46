/**
 * The service proxy as part of a real node, as k3s runs kube-proxy inside every agent:
 * `skiff server` with its local node and `skiff agent` on the cri runtime call this
 * beside the node agent, over the process's shared informers. Simulated nodes do not
 * (their pods have no network). Without root or nft it says so once and the node runs
 * on; Services then answer only where another proxy programs them.
 */
import type { InformerFactory } from '../client/clientset.js';
import type { RestClient } from '../client/rest.js';
import type { Logger } from '../util/log.js';
import { proxyPrerequisites } from './host.js';
import { runProxy } from './run.js';

export interface NodeProxyOptions {
  rest: RestClient;
  informers: InformerFactory;
  log: Logger;
  nodeName: string;
  clusterCidr: string;
  serviceCidr: string;
  /** k3s's --disable-kube-proxy: another service proxy (or none) handles this node. */
  disabled?: boolean;
}

/** Runs until the signal; never throws (a node without its proxy still runs pods). */
export async function runNodeProxy(o: NodeProxyOptions, signal: AbortSignal): Promise<void> {
  if (o.disabled) {
    o.log.info('service proxy disabled (--disable-kube-proxy): ClusterIPs and NodePorts on this node are left to another proxy');
    return;
  }
  const missing = proxyPrerequisites();
  if (missing) {
    o.log.warn(`service proxy not started: ${missing}. Pods on this node run, but Service ClusterIPs, NodePorts and the cluster DNS address do not answer here (--disable-kube-proxy silences this)`);
    return;
  }
  try {
    await runProxy({ rest: o.rest, log: o.log, nodeName: o.nodeName, clusterCidr: o.clusterCidr, serviceCidr: o.serviceCidr, shared: o.informers }, signal);
  } catch (err) {
    if (!signal.aborted) o.log.error('the service proxy stopped', { node: o.nodeName, err: String((err as Error)?.message ?? err) });
  }
}
