/**
 * Leader election over a Lease on the real API handler (in-process, memory store), with
 * injected clocks: one holder at a time, takeover only after expiry, and a candidate that
 * wakes at the holder's expiry rather than a retry period later.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry } from '../api/index.js';
import { ApiHandler } from '../apiserver/handler.js';
import { MemoryBackend } from '../store/memory.js';
import { silentLogger } from '../util/log.js';
import { Clientset } from './clientset.js';
import { LeaderElector } from './leader-election.js';
import { RestClient } from './rest.js';

describe('LeaderElector', () => {
  const backend = new MemoryBackend();
  const handler = new ApiHandler({ registry: buildRegistry(), backend });
  const rest = new RestClient({ server: 'https://in-process.invalid', caPem: '' }, { local: { handler, user: { name: 'test', groups: ['system:masters'] } } });
  const cs = new Clientset(rest, 'test');
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const now = () => clock;
  const elector = (identity: string) => new LeaderElector({ cs, namespace: 'kube-system', name: 'test-lease', identity, log: silentLogger, now });
  before(async () => {
    await handler.bootstrap();
  });
  after(async () => {
    await handler.close();
    await backend.close();
  });

  it('one holder; the other takes over only once the lease has run out, and wakes right then', async () => {
    const a = elector('a');
    const b = elector('b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    assert.equal(b.nextAttemptDelay(), 2000, 'a live holder: the retry period');
    clock += 14_000;
    assert.equal(await b.tryAcquireOrRenew(), false, 'not expired at 14 s');
    assert.equal(b.nextAttemptDelay(), 1025, 'wakes just after the expiry at 15 s, not at 16 s');
    clock += 1025;
    assert.equal(await b.tryAcquireOrRenew(), true);
    const lease = await cs.resource('leases').get('kube-system', 'test-lease');
    assert.equal(lease.spec.holderIdentity, 'b');
    assert.equal(lease.spec.leaseTransitions, 1);
    assert.equal(await a.tryAcquireOrRenew(), false, 'the old holder is refused');
  });

  it('the holder renews and keeps its acquire time', async () => {
    const b = elector('b');
    const before1 = (await cs.resource('leases').get('kube-system', 'test-lease')).spec;
    clock += 2000;
    assert.equal(await b.tryAcquireOrRenew(), true);
    const after1 = (await cs.resource('leases').get('kube-system', 'test-lease')).spec;
    assert.equal(after1.acquireTime, before1.acquireTime);
    assert.ok(Date.parse(after1.renewTime) > Date.parse(before1.renewTime));
    assert.equal(after1.leaseTransitions, before1.leaseTransitions);
  });
});
