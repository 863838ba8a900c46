/** Which address the `kubernetes` Service publishes (k3s's --advertise-address) and which one this machine uses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiAddresses } from './skiff-server.js';

describe('api addresses', () => {
  const node = () => '192.168.78.1';

  it('advertises the real local node IP, keeping loopback for this machine', () => {
    assert.deepEqual(apiAddresses({ bindAddress: '127.0.0.1' }, true, node), { local: '127.0.0.1', advertise: '192.168.78.1' });
    assert.deepEqual(apiAddresses({ bindAddress: '0.0.0.0' }, true, node), { local: '127.0.0.1', advertise: '192.168.78.1' });
  });

  it('advertises the bind address without a real node (127.0.0.1 for 0.0.0.0)', () => {
    assert.deepEqual(apiAddresses({ bindAddress: '127.0.0.1' }, false, node), { local: '127.0.0.1', advertise: '127.0.0.1' });
    assert.deepEqual(apiAddresses({ bindAddress: '0.0.0.0' }, false, node), { local: '127.0.0.1', advertise: '127.0.0.1' });
    assert.deepEqual(apiAddresses({ bindAddress: '10.1.2.3' }, false, node), { local: '10.1.2.3', advertise: '10.1.2.3' });
  });

  it('never advertises a loopback node IP, and --advertise-address wins', () => {
    assert.deepEqual(apiAddresses({ bindAddress: '127.0.0.1' }, true, () => '127.0.0.1'), { local: '127.0.0.1', advertise: '127.0.0.1' });
    assert.deepEqual(apiAddresses({ bindAddress: '127.0.0.1', advertiseAddress: '10.9.9.9' }, true, node), { local: '127.0.0.1', advertise: '10.9.9.9' });
    assert.deepEqual(apiAddresses({ bindAddress: '127.0.0.1', nodeIP: '10.0.0.7' }, true), { local: '127.0.0.1', advertise: '10.0.0.7' });
  });
});
