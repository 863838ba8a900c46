/** The NamespaceLifecycle cache: answers only "active" from the cache, follows the watch. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../store/memory.js';
import { NamespaceCache } from './namespace-cache.js';

const key = (n: string) => `/registry/core/namespaces/${n}`;
const ns = (n: string, phase = 'Active', deleting = false) => JSON.stringify({ metadata: { name: n, ...(deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) }, status: { phase } });
const until = async (f: () => boolean) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  return f();
};

describe('NamespaceCache', () => {
  it('starts on first use, then follows creates, terminations and deletes', async () => {
    const b = new MemoryBackend();
    await b.create(key('default'), ns('default'));
    const c = new NamespaceCache(b);
    try {
      assert.equal(c.isActive('default'), false, 'not synced yet: the caller reads the store');
      assert.ok(await until(() => c.isActive('default')));
      assert.equal(c.isActive('later'), false);
      await b.create(key('later'), ns('later'));
      assert.ok(await until(() => c.isActive('later')));
      const kv = (await b.get(key('later'))).kv!;
      await b.update(kv.key, ns('later', 'Terminating', true), kv.modRevision);
      assert.ok(await until(() => !c.isActive('later')), 'terminating is not active');
      await b.delete(key('default'));
      assert.ok(await until(() => !c.isActive('default')));
    } finally {
      c.close();
      await b.close();
    }
  });
});
