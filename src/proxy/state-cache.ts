/**
 * Builds the proxy's desired nftables state incrementally: each Service's part (its
 * ports, chains and map elements) is recomputed only when the Service or one of its
 * EndpointSlices changed (by resourceVersion), then the parts are merged. With a
 * thousand Services, one endpoint change costs one Service's work plus a merge.
 */
import { servicePorts } from './model.js';
import { baseState, mergeInto, portState, type NftState, type RenderOptions } from './render.js';

export interface ServiceWithSlices {
  svc: any;
  slices: any[];
}

interface Entry {
  version: string;
  parts: NftState[];
  ports: number;
}

function versionOf(x: ServiceWithSlices): string {
  const rv = (o: any) => o.metadata?.resourceVersion ?? JSON.stringify(o);
  return `${rv(x.svc)}|${x.slices.map(rv).sort().join(',')}`;
}

export class StateCache {
  private entries = new Map<string, Entry>();

  constructor(private readonly o: RenderOptions & { nodeName: string }) {}

  build(services: Iterable<ServiceWithSlices>): { state: NftState; ports: number } {
    const next = new Map<string, Entry>();
    const state = baseState();
    let ports = 0;
    for (const x of services) {
      const key = `${x.svc.metadata.namespace}/${x.svc.metadata.name}`;
      const version = versionOf(x);
      let e = this.entries.get(key);
      if (!e || e.version !== version) {
        const sps = servicePorts(x.svc, x.slices, this.o.nodeName);
        e = { version, parts: sps.map((sp) => portState(sp, this.o)), ports: sps.length };
      }
      next.set(key, e);
      for (const p of e.parts) mergeInto(state, p);
      ports += e.ports;
    }
    this.entries = next;
    return { state, ports };
  }
}
