import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Registry } from '../../api/registry.js';
import type { ObjectStore } from '../object-store.js';
import { admitPodServiceAccount, API_TOKEN_MOUNT_PATH } from './service-account.js';

const reg = { lookup: () => ({ plural: 'serviceaccounts' }) } as unknown as Registry;
const storeWith = (sas: Record<string, any>) => ({ tryGet: async (_d: unknown, ns: string, name: string) => sas[`${ns}/${name}`] }) as unknown as ObjectStore;
const suffix = () => 'abcde';
const pod = (spec: any = {}) => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } });

describe('ServiceAccount admission', () => {
  it('defaults the ServiceAccount and adds the kube-api-access volume and mounts, as upstream', async () => {
    const p: any = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    await admitPodServiceAccount(reg, storeWith({ 'ns/default': { metadata: { name: 'default' } } }), p, suffix);
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(p.spec.serviceAccount, 'default');
    assert.deepEqual(p.spec.volumes, [
      {
        name: 'kube-api-access-abcde',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
          defaultMode: 420,
        },
      },
    ]);
    const mount = { name: 'kube-api-access-abcde', readOnly: true, mountPath: API_TOKEN_MOUNT_PATH };
    assert.deepEqual(p.spec.containers[0].volumeMounts, [mount]);
    assert.deepEqual(p.spec.initContainers[0].volumeMounts, [mount]);
  });

  it('leaves the token out when the pod or its ServiceAccount says automountServiceAccountToken: false (the pod wins)', async () => {
    const off: any = pod({ automountServiceAccountToken: false });
    await admitPodServiceAccount(reg, storeWith({ 'ns/default': { metadata: { name: 'default' } } }), off, suffix);
    assert.equal(off.spec.volumes, undefined);
    assert.equal(off.spec.containers[0].volumeMounts, undefined);
    const saOff: any = pod({ serviceAccountName: 'bot' });
    await admitPodServiceAccount(reg, storeWith({ 'ns/bot': { metadata: { name: 'bot' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'reg' }] } }), saOff, suffix);
    assert.equal(saOff.spec.volumes, undefined);
    assert.deepEqual(saOff.spec.imagePullSecrets, [{ name: 'reg' }]);
    const podOn: any = pod({ serviceAccountName: 'bot', automountServiceAccountToken: true });
    await admitPodServiceAccount(reg, storeWith({ 'ns/bot': { metadata: { name: 'bot' }, automountServiceAccountToken: false } }), podOn, suffix);
    assert.equal(podOn.spec.volumes.length, 1);
  });

  it('keeps a container mount already at the token path, and an existing kube-api-access volume', async () => {
    const p: any = pod({
      containers: [
        { name: 'own', image: 'b', volumeMounts: [{ name: 'mine', mountPath: API_TOKEN_MOUNT_PATH }] },
        { name: 'other', image: 'b' },
      ],
      volumes: [{ name: 'mine', emptyDir: {} }, { name: 'kube-api-access-zzzzz', projected: { sources: [] } }],
    });
    await admitPodServiceAccount(reg, storeWith({ 'ns/default': { metadata: { name: 'default' } } }), p, suffix);
    assert.deepEqual(p.spec.containers[0].volumeMounts, [{ name: 'mine', mountPath: API_TOKEN_MOUNT_PATH }]);
    assert.deepEqual(p.spec.containers[1].volumeMounts, [{ name: 'kube-api-access-zzzzz', readOnly: true, mountPath: API_TOKEN_MOUNT_PATH }]);
    assert.equal(p.spec.volumes.length, 2);
  });

  it('refuses a pod naming a ServiceAccount that does not exist (403, upstream message); a missing default passes', async () => {
    await assert.rejects(admitPodServiceAccount(reg, storeWith({}), pod({ serviceAccountName: 'ghost' }), suffix), (e: any) => {
      assert.equal(e.code, 403);
      assert.equal(e.message, 'pods "p" is forbidden: error looking up service account ns/ghost: serviceaccount "ghost" not found');
      return true;
    });
    const p: any = pod();
    await admitPodServiceAccount(reg, storeWith({}), p, suffix);
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(p.spec.volumes.length, 1);
  });
});
