/**
 * The service proxy of one node: watches Services and EndpointSlices and keeps the
 * nftables program in step. The first sync replaces skiff's table atomically (so a
 * restarted proxy resyncs without interrupting traffic); later syncs apply only the
 * difference to what was last programmed, coalescing bursts of events. A failed
 * incremental update falls back to a full sync.
 */
import type { InformerFactory } from '../client/clientset.js';
import type { Logger } from '../util/log.js';
import { servicePorts, type ServicePort } from './model.js';
import { StateCache, type ServiceWithSlices } from './state-cache.js';
import { runNft } from './nft.js';
import { renderDiff, renderFull, type NftState } from './render.js';

export const ENDPOINTSLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

export interface ProxierOptions {
  informers: InformerFactory;
  nodeName: string;
  clusterCidr: string;
  log: Logger;
  /** Coalesce events for this long before programming (default 10 ms). */
  coalesceMs?: number;
  /** Programs nftables (tests and benchmarks may substitute). */
  apply?: (program: string) => Promise<void>;
}

export interface SyncStats {
  full: boolean;
  ports: number;
  bytes: number;
  ms: number;
}

export class Proxier {
  private programmed?: NftState;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private readonly apply: (p: string) => Promise<void>;
  private readonly cache: StateCache;
  /** Called after every sync (tests, benchmarks, logs). */
  onSync?: (s: SyncStats) => void;

  constructor(private readonly o: ProxierOptions) {
    this.apply = o.apply ?? ((p) => runNft(p));
    this.cache = new StateCache({ clusterCidr: o.clusterCidr, nodeName: o.nodeName });
    const kick = () => this.schedule();
    for (const inf of [o.informers.informer('services'), o.informers.informer(ENDPOINTSLICES)]) inf.addHandlers({ onAdd: kick, onUpdate: kick, onDelete: kick });
  }

  async start(signal: AbortSignal): Promise<void> {
    const svcInf = this.o.informers.informer('services');
    const sliceInf = this.o.informers.informer(ENDPOINTSLICES);
    this.o.informers.start(signal);
    await Promise.all([svcInf.waitForSync(signal), sliceInf.waitForSync(signal)]);
    await this.syncNow();
    signal.addEventListener('abort', () => clearTimeout(this.timer), { once: true });
  }

  private schedule(): void {
    // Before the first sync, it reads the caches itself; a change while it runs (e.g. the
    // kube-dns slice published just after the informers synced) gets one more pass.
    if (!this.programmed) {
      if (this.running) this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow();
    }, this.o.coalesceMs ?? 10);
  }

  /** Every Service with its EndpointSlices, as the informers see them now. */
  private services(): ServiceWithSlices[] {
    const svcInf = this.o.informers.informer('services');
    const sliceInf = this.o.informers.informer(ENDPOINTSLICES);
    const bySvc = new Map<string, any[]>();
    for (const s of sliceInf.cache.list()) {
      const name = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!name) continue;
      const k = `${s.metadata.namespace}/${name}`;
      let l = bySvc.get(k);
      if (!l) bySvc.set(k, (l = []));
      l.push(s);
    }
    return svcInf.cache.list().map((svc) => ({ svc, slices: bySvc.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [] }));
  }

  /** The Service ports as the informers see them now. */
  ports(): ServicePort[] {
    return this.services().flatMap((x) => servicePorts(x.svc, x.slices, this.o.nodeName));
  }

  /** Programs the current state now (one sync at a time; a request during a sync runs once more after it). */
  async syncNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const t0 = performance.now();
        const { state: want, ports } = this.cache.build(this.services());
        let full = !this.programmed;
        let program = full ? renderFull(want) : renderDiff(this.programmed!, want);
        try {
          if (program) await this.apply(program);
        } catch (err) {
          if (full) {
            this.o.log.error('programming nftables failed; retrying in 1 s', { err });
            this.programmed = undefined;
            setTimeout(() => void this.syncNow(), 1000).unref();
            break;
          }
          this.o.log.info('incremental nftables update failed; resyncing', { err: String(err) });
          full = true;
          program = renderFull(want);
          await this.apply(program).catch((e) => this.o.log.error('programming nftables failed', { err: e }));
        }
        this.programmed = want;
        this.onSync?.({ full, ports, bytes: program.length, ms: performance.now() - t0 });
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
