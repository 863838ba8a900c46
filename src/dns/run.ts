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
}

export async function runDns(o: DnsOptions, signal: AbortSignal): Promise<{ port: number; server: DnsServer }> {
  const upstreams = resolvConfServers(o.resolvConf);
  const server = new DnsServer({ host: o.host, port: o.port, zone: o.zone, upstreams, log: o.log });
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
    server.setServices(svcInf.cache.list().map((svc) => serviceRecord(svc, bySvc.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [])));
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
  o.log.info('cluster DNS serving', { zone: o.zone, listen: `${o.host}:${port}`, upstreams });
  signal.addEventListener('abort', () => void server.close(), { once: true });
  return { port, server };
}
