/**
 * The cluster DNS of a server process, published as the kube-dns Service (ClusterIP
 * --cluster-dns, 10.43.0.10) whose EndpointSlice names where it answers. It always listens
 * on --dns-listen (for the host: 127.0.0.1:10053 by default). When this server runs a real
 * local node, pods must reach it too: they send to the ClusterIP, the node's service
 * proxy DNATs that to the endpoint, and a loopback endpoint would be unreachable from a
 * pod's network namespace. So it also answers on the node's address at the same port and
 * publishes that address (a pod's packet DNAT-ed to its own node's address arrives over
 * the bridge and is delivered locally; pods on other nodes are routed to it).
 */
import { networkInterfaces } from 'node:os';
import type { InformerFactory } from '../client/clientset.js';
import type { ApiHandler } from '../apiserver/handler.js';
import { runDns } from '../dns/run.js';
import type { Logger } from '../util/log.js';
import type { ServerConfig } from './config.js';
import { cidrContains, parseCidr } from '../util/ipv4.js';

export interface ClusterDnsOptions {
  config: ServerConfig;
  informers: InformerFactory;
  handler: ApiHandler;
  log: Logger;
  /** This server's identity (its endpoint lease is held by it). */
  identity: string;
  /** The local real node's address, when this server runs one: pods' way to the DNS. */
  nodeIP?: string;
}

/** host and port of a HOST:PORT flag (host defaults to 127.0.0.1). */
export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(listen.slice(i + 1)) };
}

/**
 * The address published as the kube-dns endpoint: the node's address when the DNS answers
 * there (pods reach it through the DNAT), else the listen address (for the host only,
 * when it is loopback), with 0.0.0.0 standing for the API server's bind address.
 */
export function dnsEndpointAddress(o: { host: string; nodeIP?: string; listening: string[]; bindAddress: string }): string {
  const anyHost = o.host === '0.0.0.0';
  if (o.nodeIP && (anyHost || o.listening.includes(o.nodeIP))) return o.nodeIP;
  if (anyHost) return o.bindAddress === '0.0.0.0' ? '127.0.0.1' : o.bindAddress;
  return o.host;
}

/**
 * Who the node-address listener serves: pods (the cluster CIDR, not masqueraded on their
 * way to a ClusterIP) and this machine (loopback, its own addresses: the node's own
 * lookups through the ClusterIP are masqueraded). Anyone else on the node's network gets
 * REFUSED, so the forwarder is not an open resolver there.
 */
export function clusterClients(clusterCidr: string, localAddresses: () => string[] = ownAddresses): (address: string) => boolean {
  const cidr = parseCidr(clusterCidr);
  let local = new Set(localAddresses());
  let refreshed = Date.now();
  return (address) => {
    if (address.startsWith('127.') || cidrContains(cidr, address) || local.has(address)) return true;
    // Addresses change (DHCP, a new bridge): look again, at most once a second.
    if (Date.now() - refreshed < 1000) return false;
    local = new Set(localAddresses());
    refreshed = Date.now();
    return local.has(address);
  };
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
}

/**
 * Starts the DNS and publishes its endpoint, among the other servers' (a lease each),
 * until the signal; then takes it back. A port in use costs DNS, not the server.
 */
export async function startClusterDns(o: ClusterDnsOptions, signal: AbortSignal): Promise<void> {
  const c = o.config;
  const { host, port } = splitListen(c.dnsListen);
  const anyHost = host === '0.0.0.0';
  const nodeIP = o.nodeIP && !o.nodeIP.startsWith('127.') ? o.nodeIP : undefined;
  if (o.nodeIP && !nodeIP) o.log.warn('the local node has a loopback address: pods cannot reach the cluster DNS', { nodeIP: o.nodeIP });
  try {
    const started = await runDns(
      { informers: o.informers, zone: c.clusterDomain, host, port, resolvConf: c.resolvConf, log: o.log, alsoOn: nodeIP && !anyHost && nodeIP !== host ? [nodeIP] : [], alsoOnAllow: clusterClients(c.clusterCidr) },
      signal,
    );
    const address = dnsEndpointAddress({ host, nodeIP, listening: started.hosts, bindAddress: c.bindAddress });
    const published = await o.handler.publishDns(c.clusterDns, address, started.port, { identity: o.identity, ttlMs: c.endpointReconcilerTtlMs, log: o.log });
    if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    await published.stop();
  } catch (err) {
    if (!signal.aborted) o.log.error('cluster DNS not started', { err: String(err) });
  }
}
