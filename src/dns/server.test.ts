import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { DnsServer } from './server.js';

const query = (id: number) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'kubernetes.default.svc.cluster.local' }] });

function udpAsk(port: number, msg: Buffer): Promise<any> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('message', (m) => (s.close(), resolve(dnsPacket.decode(m))));
    s.once('error', reject);
    s.send(msg, port, '127.0.0.1');
  });
}

function tcpAsk(port: number, msg: Buffer): Promise<any> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    s.on('error', reject);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    s.write(Buffer.concat([len, msg]));
  });
}

describe('DNS server client filter', () => {
  it('answers REFUSED over UDP and TCP to clients it does not serve', async () => {
    const seen: string[] = [];
    const server = new DnsServer({ host: '127.0.0.1', port: 0, zone: 'cluster.local', upstreams: [], allow: (a) => (seen.push(a), false) });
    const { port } = await server.start();
    try {
      const u = await udpAsk(port, query(7));
      assert.equal(u.id, 7);
      assert.equal(u.rcode, 'REFUSED');
      assert.equal(u.answers.length, 0);
      const t = await tcpAsk(port, query(8));
      assert.equal(t.id, 8);
      assert.equal(t.rcode, 'REFUSED');
      assert.deepEqual([...new Set(seen)], ['127.0.0.1']);
    } finally {
      await server.close();
    }
  });

  it('serves allowed clients as usual', async () => {
    const server = new DnsServer({ host: '127.0.0.1', port: 0, zone: 'cluster.local', upstreams: [], allow: () => true });
    const { port } = await server.start();
    try {
      const u = await udpAsk(port, query(9));
      assert.equal(u.rcode, 'NXDOMAIN', 'an empty zone: authoritative NXDOMAIN, not REFUSED');
    } finally {
      await server.close();
    }
  });
});
