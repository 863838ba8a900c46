/**
 * Node IPAM (kube-controller-manager --allocate-node-cidrs): gives every Node a /24 of
 * the cluster CIDR in spec.podCIDR(s) — the range its pods take IPs from. Ranges in use
 * are learnt from the Nodes themselves, so a restart never hands one out twice.
 */
import type { InformerFactory, Clientset } from '../../client/clientset.js';
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { WorkQueue } from '../../client/workqueue.js';
import { isNotFound } from '../../client/rest.js';
import type { Logger } from '../../util/log.js';

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0) >>> 0;
}
function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The i-th /nodeMaskSize subnet of cidr, e.g. (10.42.0.0/16, 24, 3) → 10.42.3.0/24. */
export function subnet(cidr: string, nodeMaskSize: number, i: number): string | undefined {
  const [ip, bits] = cidr.split('/');
  const count = 2 ** (nodeMaskSize - Number(bits));
  if (i < 0 || i >= count) return undefined;
  return `${intToIp(ipToInt(ip) + i * 2 ** (32 - nodeMaskSize))}/${nodeMaskSize}`;
}

export class NodeIpamController {
  static readonly NAME = 'node-ipam-controller';
  private readonly queue = new WorkQueue();

  constructor(
    private readonly ctx: { cs: Clientset; informers: InformerFactory; log: Logger },
    private readonly clusterCidr: string,
    private readonly nodeMaskSize = 24,
  ) {
    ctx.informers.informer('nodes').addHandlers({ onAdd: (n) => this.queue.add(keyOf(n)), onUpdate: (_o, n) => this.queue.add(keyOf(n)) });
  }

  async start(signal: AbortSignal): Promise<void> {
    const inf = this.ctx.informers.informer('nodes');
    await inf.waitForSync(signal);
    const nodes = this.ctx.cs.resource('nodes');
    const pending = new Set<string>();
    await runWorkers({
      name: NodeIpamController.NAME,
      queue: this.queue,
      workers: 1,
      log: this.ctx.log,
      signal,
      sync: async (key) => {
        const node = inf.cache.get(key);
        if (!node || node.spec?.podCIDR) return;
        const used = new Set<string>([...pending]);
        for (const n of inf.cache.list()) if (n.spec?.podCIDR) used.add(n.spec.podCIDR);
        let cidr: string | undefined;
        for (let i = 0; (cidr = subnet(this.clusterCidr, this.nodeMaskSize, i)); i++) if (!used.has(cidr)) break;
        if (!cidr) {
          this.ctx.log.warn('no pod CIDR left for node', { node: key, clusterCidr: this.clusterCidr });
          return;
        }
        pending.add(cidr);
        try {
          await nodes.patch(undefined, node.metadata.name, 'merge', { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
          this.ctx.log.info('allocated pod CIDR', { node: node.metadata.name, podCIDR: cidr });
        } catch (err) {
          pending.delete(cidr);
          if (!isNotFound(err)) throw err;
        }
      },
    });
  }
}
