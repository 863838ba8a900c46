/** Runs a node's service proxy until the signal: host settings, then the Proxier over its own informers. */
import { Clientset, InformerFactory } from '../client/clientset.js';
import type { RestClient } from '../client/rest.js';
import type { Logger } from '../util/log.js';
import { prepareHost } from './host.js';
import { deleteTable } from './nft.js';
import { Proxier } from './proxier.js';
import { TABLE } from './render.js';

export interface ProxyOptions {
  rest: RestClient;
  log: Logger;
  nodeName: string;
  clusterCidr: string;
  serviceCidr: string;
  /** Informers shared with other in-process components. */
  shared?: InformerFactory;
  /** Remove skiff's table when stopped (default: keep it, so traffic flows while the proxy restarts). */
  cleanupOnStop?: boolean;
}

export async function runProxy(o: ProxyOptions, signal: AbortSignal): Promise<void> {
  await prepareHost(o.serviceCidr);
  const informers = o.shared ?? new InformerFactory(new Clientset(o.rest, 'skiff-proxy'), o.log.child('informers'));
  const proxier = new Proxier({ informers, nodeName: o.nodeName, clusterCidr: o.clusterCidr, log: o.log });
  proxier.onSync = (s) => o.log.debug('synced', { ...s });
  await proxier.start(signal);
  o.log.info('service proxy programmed', { node: o.nodeName, ports: proxier.ports().length });
  await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
  if (o.cleanupOnStop) await deleteTable(TABLE).catch(() => undefined);
}
