/**
 * Runs the cluster DNS over informers: Services and EndpointSlices feed the zone (rebuilt
 * a few milliseconds after a burst of changes), names outside it go to the resolvers in
 * --resolv-conf.
 */
import { readFileSync } from 'node:fs';
import type { InformerFactory } from '../client/clientset.js';
import type { Logger } from '../util/log.js';
import { serviceRecord } from './records.js';
import { DnsServer } from './server.js';

const ENDPOINTSLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

/** The nameservers of a resolv.conf (none if the file is missing). */
export function resolvConfServers(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((x): x is string => !!x);
  } catch {
    return [];
  }
}

export interface DnsOptions {
  informers: InformerFactory;
  zone: string;
  host: string;
  port: number;
  resolvConf: string;
  log: Logger;
  /**
   * More addresses to answer on, at the same port (once the first listener has it): the
   * node's address, which pods reach through the cluster DNS ClusterIP's DNAT.
   */
  alsoOn?: string[];
  /** Which clients the alsoOn listeners serve (others get REFUSED). */
  alsoOnAllow?: (address: string) => boolean;
}

export async function runDns(o: DnsOptions, signal: AbortSignal): Promise<{ port: number; server: DnsServer; hosts: string[] }> {
  const upstreams = resolvConfServers(o.resolvConf);
  const server = new DnsServer({ host: o.host, port: o.port, zone: o.zone, upstreams, log: o.log });
  const servers = [server];
  const svcInf = o.informers.informer('services');
  const sliceInf = o.informers.informer(ENDPOINTSLICES);
  const rebuild = () => {
    const bySvc = new Map<string, any[]>();
    for (const s of sliceInf.cache.list()) {
      const name = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!name) continue;
      const k = `${s.metadata.namespace}/${name}`;
      let l = bySvc.get(k);
      if (!l) bySvc.set(k, (l = []));
      l.push(s);
    }
    const records = svcInf.cache.list().map((svc) => serviceRecord(svc, bySvc.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? []));
    for (const s of servers) s.setServices(records);
  };
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    if (!timer) timer = setTimeout(() => ((timer = undefined), rebuild()), 5);
  };
  for (const inf of [svcInf, sliceInf]) inf.addHandlers({ onAdd: kick, onUpdate: kick, onDelete: kick });
  o.informers.start(signal);
  await Promise.all([svcInf.waitForSync(signal), sliceInf.waitForSync(signal)]);
  rebuild();
  const { port } = await server.start();
  signal.addEventListener('abort', () => void Promise.all(servers.map((s) => s.close())), { once: true });
  const hosts = [o.host];
  for (const host of o.alsoOn ?? []) {
    const more = new DnsServer({ host, port, zone: o.zone, upstreams, log: o.log, allow: o.alsoOnAllow });
    try {
      await more.start();
    } catch (err) {
      await more.close().catch(() => undefined);
      o.log.error('cluster DNS cannot listen on an extra address', { listen: `${host}:${port}`, err: String(err) });
      continue;
    }
    servers.push(more);
    hosts.push(host);
  }
  rebuild();
  o.log.info('cluster DNS serving', { zone: o.zone, listen: hosts.map((h) => `${h}:${port}`), upstreams });
  return { port, server, hosts };
}
