import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry } from '../../api/index.js';
import { Clientset } from '../../client/clientset.js';
import { RestClient } from '../../client/rest.js';
import { MemoryBackend } from '../../store/memory.js';
import { ApiHandler } from '../handler.js';

const RBAC = { group: 'rbac.authorization.k8s.io', version: 'v1' };

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the RBAC authorizer in the API handler', () => {
  it('follows bindings as they are created and deleted; system:masters needs none', async () => {
    const handler = new ApiHandler({ registry: buildRegistry(), backend: new MemoryBackend() });
    await handler.bootstrap();
    const client = (name: string, groups: string[]) => new RestClient({ server: 'https://in-process.invalid', caPem: '' }, { local: { handler, user: { name, groups } } });
    const adminRest = client('root', ['system:masters', 'system:authenticated']);
    const aliceRest = client('alice', ['devs', 'system:authenticated']);
    const admin = new Clientset(adminRest);
    const alice = new Clientset(aliceRest);
    try {
      await assert.rejects(alice.resource('configmaps').list('default'), (e: any) => e.code === 403 && e.message === 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"');
      await admin.resource({ ...RBAC, plural: 'roles', namespaced: true }).create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] });
      // Bound through a group the user is in.
      const bindings = admin.resource({ ...RBAC, plural: 'rolebindings', namespaced: true });
      await bindings.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'devs-cm', namespace: 'default' }, subjects: [{ kind: 'Group', name: 'devs' }], roleRef: { kind: 'Role', name: 'cm' } });
      await until('allowed', () => alice.resource('configmaps').list('default').then(() => true, () => false));
      await assert.rejects(alice.resource('configmaps').list('kube-system'), (e: any) => e.code === 403);
      await bindings.delete('default', 'devs-cm');
      await until('denied again', () => alice.resource('configmaps').list('default').then(() => false, (e: any) => e.code === 403));
    } finally {
      adminRest.close();
      aliceRest.close();
      await handler.close();
    }
  });

  it('authorizationMode AlwaysAllow lets any authenticated user do anything', async () => {
    const handler = new ApiHandler({ registry: buildRegistry(), backend: new MemoryBackend(), authorizationMode: 'AlwaysAllow' });
    await handler.bootstrap();
    const rest = new RestClient({ server: 'https://in-process.invalid', caPem: '' }, { local: { handler, user: { name: 'alice', groups: ['system:authenticated'] } } });
    try {
      assert.deepEqual((await new Clientset(rest).resource('configmaps').list('default')).items, []);
    } finally {
      rest.close();
      await handler.close();
    }
  });
});
