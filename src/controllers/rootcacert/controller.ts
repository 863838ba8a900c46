/**
 * The root-CA publisher: a `kube-root-ca.crt` ConfigMap in every namespace whose `ca.crt`
 * holds the cluster CA bundle, so pods can verify the API server at
 * kubernetes.default.svc (the projected kube-api-access volume mounts it). As upstream,
 * the ConfigMap is re-created when deleted and put back when edited.
 */
import { runWorkers } from '../../client/controller.js';
import { isAlreadyExists, isConflict, isForbidden, isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../replicaset/controller.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCaCertPublisher {
  static readonly NAME = 'root-ca-cert-publisher';
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });

  constructor(
    private readonly ctx: ControllerContext,
    private readonly caPem: string,
  ) {
    const nsKey = (ns: any) => this.queue.add(ns.metadata.name);
    ctx.informers.informer('namespaces').addHandlers({ onAdd: nsKey, onUpdate: (_o, ns) => nsKey(ns) });
    const cmKey = (cm: any) => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.queue.add(cm.metadata.namespace);
    };
    ctx.informers.informer('configmaps').addHandlers({ onUpdate: (_o, cm) => cmKey(cm), onDelete: cmKey });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    const [nsInf, cmInf] = [informers.informer('namespaces'), informers.informer('configmaps')];
    await Promise.all([nsInf.waitForSync(signal), cmInf.waitForSync(signal)]);
    await runWorkers({ name: RootCaCertPublisher.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => this.syncNamespace(key) });
  }

  async syncNamespace(name: string): Promise<void | { requeueAfterMs: number }> {
    const { cs, informers } = this.ctx;
    const ns = informers.informer('namespaces').cache.get(name);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const client = cs.resource('configmaps');
    const cur = informers.informer('configmaps').cache.get(`${name}/${ROOT_CA_CONFIGMAP}`);
    const data = { 'ca.crt': this.caPem };
    try {
      if (!cur) {
        await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace: name, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data });
        return;
      }
      const annotated = cur.metadata.annotations?.[DESCRIPTION_ANNOTATION] === DESCRIPTION;
      if (annotated && JSON.stringify(cur.data ?? {}) === JSON.stringify(data)) return;
      const next = structuredClone(cur);
      next.data = data;
      next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION };
      await client.update(next);
    } catch (err) {
      if (isAlreadyExists(err) || isConflict(err) || isNotFound(err)) return { requeueAfterMs: 100 };
      if (isForbidden(err)) return; // namespace terminating
      throw err;
    }
  }
}
