import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { buildRegistry } from '../api/index.js';
import { ApiHandler } from '../apiserver/handler.js';
import { Clientset } from '../client/clientset.js';
import { RestClient } from '../client/rest.js';
import { MemoryBackend } from '../store/memory.js';
import { hasTokenVolume, tokenRequestProvider } from './service-account-token.js';

const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('the agent token provider (TokenRequest API)', () => {
  it('asks for a token bound to the pod, with the projection audience and lifetime', async () => {
    const handler = new ApiHandler({ registry: buildRegistry(), backend: new MemoryBackend(), serviceAccountKey: keyPem });
    await handler.bootstrap();
    const rest = new RestClient({ server: 'https://in-process.invalid', caPem: '' }, { local: { handler, user: { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] } } });
    const cs = new Clientset(rest);
    // The objects are an admin's to create (RBAC); the node only asks for the token.
    const adminRest = new RestClient({ server: 'https://in-process.invalid', caPem: '' }, { local: { handler, user: { name: 'admin', groups: ['system:masters', 'system:authenticated'] } } });
    const admin = new Clientset(adminRest);
    try {
      const sa = await admin.resource('serviceaccounts').create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'default' } });
      const pod = await admin.resource('pods').create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] } });
      assert.ok(hasTokenVolume(pod), 'admission added the kube-api-access volume');
      const provide = tokenRequestProvider(cs);

      const token = await provide(pod, { expirationSeconds: 3607 });
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
      assert.equal(claims.exp - claims.iat, 3607);
      assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
      assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid }, pod: { name: 'web', uid: pod.metadata.uid } });
      assert.equal((await handler.authenticateServiceAccountToken(token))?.name, 'system:serviceaccount:default:robot');

      const vault = await provide(pod, { audience: 'vault', expirationSeconds: 600 });
      assert.deepEqual(JSON.parse(Buffer.from(vault.split('.')[1], 'base64url').toString('utf8')).aud, ['vault']);
      assert.equal(await handler.authenticateServiceAccountToken(vault), undefined, 'another audience does not authenticate to the API server');

      // A pod re-created under the same name: the old pod's uid no longer matches.
      await assert.rejects(provide({ ...pod, metadata: { ...pod.metadata, uid: 'stale' } }, { expirationSeconds: 3607 }), /does not match the UID in record/);
    } finally {
      rest.close();
      adminRest.close();
      await handler.close();
    }
  });
});
