import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../store/memory.js';
import { PresenceCache } from './presence-cache.js';

const P = '/registry/core/resourcequotas/';
const settle = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('admission presence cache', () => {
  it('answers "none here" only while its watch runs, and follows creates and deletes', async () => {
    const backend = new MemoryBackend();
    await backend.create(`${P}a/q`, '{}');
    const cache = new PresenceCache(backend, P);
    try {
      assert.equal(cache.mayHave('b'), true, 'not started: read live');
      await settle(() => cache.mayHave('b') === false);
      assert.equal(cache.mayHave('b'), false);
      assert.equal(cache.mayHave('a'), true);
      await backend.create(`${P}b/q1`, '{}');
      await backend.create(`${P}b/q2`, '{}');
      await settle(() => cache.mayHave('b'));
      assert.equal(cache.mayHave('b'), true);
      await backend.delete(`${P}b/q1`);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(cache.mayHave('b'), true, 'one left');
      await backend.delete(`${P}b/q2`);
      await settle(() => !cache.mayHave('b'));
      assert.equal(cache.mayHave('b'), false);
    } finally {
      cache.close();
    }
    assert.equal(cache.mayHave('a'), true, 'closed: read live, without restarting');
  });
});
