/** The proxier's sync loop over fake informers and a recording nftables: no change is lost. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InformerFactory } from '../client/clientset.js';
import { silentLogger } from '../util/log.js';
import { Proxier } from './proxier.js';

function fakeInformers() {
  const kinds = new Map<string, { items: any[]; handlers: { onAdd: (o: any) => void }[] }>();
  const get = (plural: string) => {
    let k = kinds.get(plural);
    if (!k) kinds.set(plural, (k = { items: [], handlers: [] }));
    return k;
  };
  const factory = {
    informer: (r: string | { plural: string }) => {
      const k = get(typeof r === 'string' ? r : r.plural);
      return { addHandlers: (h: any) => k.handlers.push(h), cache: { list: () => k.items }, waitForSync: async () => {} };
    },
    start: () => {},
  } as unknown as InformerFactory;
  const add = (plural: string, obj: any) => {
    const k = get(plural);
    k.items.push(obj);
    for (const h of k.handlers) h.onAdd(obj);
  };
  return { factory, add };
}

const svc = (name: string, ip: string, rv: string) => ({ metadata: { namespace: 'default', name, resourceVersion: rv }, spec: { clusterIP: ip, ports: [{ name: 'p', port: 80, protocol: 'TCP' }] } });
const slice = (name: string, rv: string) => ({ metadata: { namespace: 'default', name, resourceVersion: rv, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: 'p', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true } }] });

describe('proxier', () => {
  it('programs a Service that arrives while the first sync runs', async () => {
    const { factory, add } = fakeInformers();
    add('services', svc('a', '10.43.0.20', '1'));
    add('endpointslices', slice('a', '2'));
    const programs: string[] = [];
    let first = true;
    const p = new Proxier({
      informers: factory,
      nodeName: 'n1',
      clusterCidr: '10.42.0.0/16',
      log: silentLogger,
      apply: async (prog) => {
        programs.push(prog);
        await new Promise((r) => setImmediate(r)); // nft runs as a child process
        // The kube-dns Service and slice published while the first (full) program is applied.
        if (first) {
          first = false;
          add('services', svc('b', '10.43.0.10', '3'));
          add('endpointslices', slice('b', '4'));
        }
      },
    });
    const ac = new AbortController();
    await p.start(ac.signal);
    ac.abort();
    assert.ok(programs.length >= 2, `${programs.length} programs`);
    assert.match(programs[0], /10\.43\.0\.20 \. tcp \. 80/);
    assert.doesNotMatch(programs[0], /10\.43\.0\.10/);
    assert.match(programs.slice(1).join('\n'), /10\.43\.0\.10 \. tcp \. 80 : goto svc-/);
    assert.equal(p.ports().length, 2);
  });
});
