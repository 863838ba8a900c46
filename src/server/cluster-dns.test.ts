import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterClients, dnsEndpointAddress, splitListen } from './cluster-dns.js';

describe('cluster DNS endpoint', () => {
  it('splits --dns-listen into host and port', () => {
    assert.deepEqual(splitListen('127.0.0.1:10053'), { host: '127.0.0.1', port: 10053 });
    assert.deepEqual(splitListen(':53'), { host: '127.0.0.1', port: 53 });
    assert.deepEqual(splitListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  });

  it('publishes the node address when the DNS answers there, so pods can reach it', () => {
    assert.equal(dnsEndpointAddress({ host: '127.0.0.1', nodeIP: '192.168.1.5', listening: ['127.0.0.1', '192.168.1.5'], bindAddress: '127.0.0.1' }), '192.168.1.5');
    assert.equal(dnsEndpointAddress({ host: '0.0.0.0', nodeIP: '192.168.1.5', listening: ['0.0.0.0'], bindAddress: '127.0.0.1' }), '192.168.1.5');
  });

  it('falls back to the listen address when the node address could not be bound, or there is no node', () => {
    assert.equal(dnsEndpointAddress({ host: '127.0.0.1', nodeIP: '192.168.1.5', listening: ['127.0.0.1'], bindAddress: '127.0.0.1' }), '127.0.0.1');
    assert.equal(dnsEndpointAddress({ host: '10.0.0.1', listening: ['10.0.0.1'], bindAddress: '127.0.0.1' }), '10.0.0.1');
    assert.equal(dnsEndpointAddress({ host: '0.0.0.0', listening: ['0.0.0.0'], bindAddress: '0.0.0.0' }), '127.0.0.1');
    assert.equal(dnsEndpointAddress({ host: '0.0.0.0', listening: ['0.0.0.0'], bindAddress: '10.0.0.1' }), '10.0.0.1');
  });
});

describe('cluster DNS clients on the node address', () => {
  it('serves pods, loopback and the node itself, refuses the rest', () => {
    const allow = clusterClients('10.42.0.0/16', () => ['192.168.1.5', '127.0.0.1']);
    assert.ok(allow('10.42.3.7'), 'a pod');
    assert.ok(allow('127.0.0.1'));
    assert.ok(allow('192.168.1.5'), 'the node (masqueraded lookups through the ClusterIP)');
    assert.ok(!allow('192.168.1.9'), 'another machine on the node network');
    assert.ok(!allow('10.43.0.1'));
  });
});
