/**
 * The tokens controller (kube-controller-manager's serviceaccount-token-controller):
 * Secrets of type kubernetes.io/service-account-token naming a ServiceAccount in their
 * `kubernetes.io/service-account.name` annotation get a non-expiring legacy token, the
 * cluster CA (`ca.crt`) and `namespace`, and the ServiceAccount's uid annotation. As
 * upstream, such a Secret is deleted when its ServiceAccount is gone (never existed, was
 * deleted, or was re-created with another uid).
 */
import { keyOf } from '../../client/cache.js';
import { runWorkers } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { JwtKey } from '../../apiserver/serviceaccount/jwt.js';
import { issueLegacyToken, SA_NAME_ANNOTATION, SA_TOKEN_SECRET_TYPE, SA_UID_ANNOTATION } from '../../apiserver/serviceaccount/legacy.js';
import type { ControllerContext } from '../replicaset/controller.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export class TokensController {
  static readonly NAME = 'serviceaccount-token-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });
  private readonly key: JwtKey;

  constructor(
    private readonly ctx: ControllerContext,
    keyPem: string,
    private readonly caPem: string,
  ) {
    this.key = new JwtKey(keyPem);
    const secretKey = (s: any) => {
      if (s.type === SA_TOKEN_SECRET_TYPE) this.queue.add(keyOf(s));
    };
    ctx.informers.informer('secrets').addHandlers({ onAdd: secretKey, onUpdate: (_o, s) => secretKey(s) });
    // A ServiceAccount's going (or coming back) settles the token Secrets naming it.
    const saKey = (sa: any) => {
      for (const s of ctx.informers.informer('secrets').cache.list(sa.metadata.namespace)) {
        if (s.type === SA_TOKEN_SECRET_TYPE && s.metadata.annotations?.[SA_NAME_ANNOTATION] === sa.metadata.name) this.queue.add(keyOf(s));
      }
    };
    ctx.informers.informer('serviceaccounts').addHandlers({ onAdd: saKey, onDelete: saKey });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers, log } = this.ctx;
    await Promise.all([informers.informer('secrets').waitForSync(signal), informers.informer('serviceaccounts').waitForSync(signal)]);
    await runWorkers({ name: TokensController.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => this.syncSecret(key) });
  }

  async syncSecret(key: string): Promise<void | { requeueAfterMs: number }> {
    const { cs, informers } = this.ctx;
    const secret = informers.informer('secrets').cache.get(key);
    if (!secret || secret.type !== SA_TOKEN_SECRET_TYPE || secret.metadata.deletionTimestamp) return;
    const ns = secret.metadata.namespace;
    const saName = secret.metadata.annotations?.[SA_NAME_ANNOTATION];
    const wantUid = secret.metadata.annotations?.[SA_UID_ANNOTATION];
    const secrets = cs.resource('secrets');
    let sa = saName ? informers.informer('serviceaccounts').cache.get(`${ns}/${saName}`) : undefined;
    if (saName && (!sa || (wantUid && sa.metadata.uid !== wantUid))) {
      // The cache may lag a ServiceAccount just created: ask the API server before deleting.
      sa = await cs.resource('serviceaccounts').get(ns, saName).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
    }
    if (!saName || !sa || (wantUid && sa.metadata.uid !== wantUid)) {
      try {
        await secrets.delete(ns, secret.metadata.name, { preconditions: { uid: secret.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    const data = secret.data ?? {};
    if (data.token && data['ca.crt'] && data.namespace && wantUid) return;
    const next = structuredClone(secret);
    next.metadata.annotations = { ...next.metadata.annotations, [SA_UID_ANNOTATION]: sa.metadata.uid };
    next.data = { ...data };
    if (!next.data['ca.crt']) next.data['ca.crt'] = b64(this.caPem);
    if (!next.data.namespace) next.data.namespace = b64(ns);
    if (!next.data.token) next.data.token = b64(issueLegacyToken(this.key, { namespace: ns, secretName: secret.metadata.name, serviceAccount: { name: sa.metadata.name, uid: sa.metadata.uid } }));
    try {
      await secrets.update(next);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }
}
