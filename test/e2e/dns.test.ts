/**
 * The cluster DNS over UDP and TCP on loopback: Service A and SRV records, headless
 * Services answering with every ready pod, hostname records, pod records, PTR, CNAME for
 * ExternalName, NXDOMAIN and NODATA with the zone's SOA, and forwarding of other names
 * to the resolvers named by --resolv-conf (a stub on loopback here).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket, { type Packet } from 'dns-packet';
import { Cluster } from './cluster.js';

let nextId = 1;
function udpQuery(port: number, name: string, type: string): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error(`no answer for ${name} ${type}`))), 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(dnsPacket.encode({ type: 'query', id: nextId++ & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as any, name }] }), port, '127.0.0.1');
  });
}
function tcpQuery(port: number, name: string, type: string): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(dnsPacket.decode(buf.subarray(2)));
      }
    });
    s.on('error', reject);
    s.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type: type as any, name }] }));
  });
}
const data = (p: Packet) => (p.answers ?? []).map((a: any) => (typeof a.data === 'object' ? a.data : String(a.data)));

describe('cluster DNS', () => {
  let c: Cluster;
  let port = 0;
  let stub: dgram.Socket;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
  before(async () => {
    // A stub upstream resolver on loopback: answers example.test with 192.0.2.1.
    stub = dgram.createSocket('udp4');
    stub.on('message', (m, r) => {
      const q = dnsPacket.decode(m);
      stub.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0].name, ttl: 60, data: '192.0.2.1' }] }), r.port, r.address);
    });
    await new Promise<void>((r) => stub.bind(0, '127.0.0.1', () => r()));
    writeFileSync(join(dir, 'resolv.conf'), `nameserver 127.0.0.1:${stub.address().port}\n`);
    c = await Cluster.start(['--simulated-nodes', '2', '--dns-listen', '127.0.0.1:0', '--resolv-conf', join(dir, 'resolv.conf')]);
    const slice = await c.until('the kube-dns endpoints', async () => (await c.getJson('/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices')).items.find((s: any) => s.metadata.name === 'kube-dns'), 20_000);
    port = slice.ports[0].port;
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: httpd, image: busybox, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec: {hostname: db-0, subdomain: db, containers: [{name: pg, image: busybox}]}
---
apiVersion: v1
kind: Service
metadata: {name: docs}
spec: {type: ExternalName, externalName: docs.example.test}
`,
    });
    await c.until('3 ready web endpoints', async () => (await c.getJson('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb-headless')).items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions.ready).length === 3, 30_000);
    await c.until('db-0 ready', async () => (await c.getJson('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Ddb')).items.flatMap((s: any) => s.endpoints ?? []).some((e: any) => e.conditions.ready), 30_000);
    await new Promise((r) => setTimeout(r, 100));
  });
  after(async () => {
    stub?.close();
    await c?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is published as the kube-dns Service at the cluster DNS address', async () => {
    const svc = await c.getJson('/api/v1/namespaces/kube-system/services/kube-dns');
    assert.equal(svc.spec.clusterIP, '10.43.0.10');
    assert.deepEqual(svc.spec.ports.map((p: any) => `${p.name}/${p.port}/${p.protocol}`), ['dns/53/UDP', 'dns-tcp/53/TCP']);
    const r = await udpQuery(port, 'kube-dns.kube-system.svc.cluster.local', 'A');
    assert.deepEqual(data(r), ['10.43.0.10']);
    assert.ok((r.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER);
  });

  it('answers A for a ClusterIP Service over UDP and TCP, and SRV for its named port', async () => {
    const ip = (await c.getJson('/api/v1/namespaces/default/services/web')).spec.clusterIP;
    assert.deepEqual(data(await udpQuery(port, 'web.default.svc.cluster.local', 'A')), [ip]);
    assert.deepEqual(data(await tcpQuery(port, 'web.default.svc.cluster.local', 'A')), [ip]);
    assert.deepEqual(data(await udpQuery(port, 'kubernetes.default.svc.cluster.local.', 'A')), ['10.43.0.1']);
    const srv = await udpQuery(port, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    assert.deepEqual(data(srv), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
    assert.deepEqual((srv.additionals ?? []).filter((a: any) => a.type === 'A').map((a: any) => a.data), [ip]);
  });

  it('answers every ready pod for a headless Service, and the named port per pod in SRV', async () => {
    const podIps = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items.map((p: any) => p.status.podIP).sort();
    assert.deepEqual(data(await udpQuery(port, 'web-headless.default.svc.cluster.local', 'A')).sort(), podIps);
    // Three SRV records with their A records exceed 512 bytes: UDP says truncated, TCP answers.
    const cut = await udpQuery(port, '_http._tcp.web-headless.default.svc.cluster.local', 'SRV');
    assert.ok((cut.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE, 'TC set over UDP');
    const srv = await tcpQuery(port, '_http._tcp.web-headless.default.svc.cluster.local', 'SRV');
    assert.equal(srv.answers!.length, 3);
    assert.ok(data(srv).every((d: any) => d.port === 8080 && /^10-42-\d+-\d+\.web-headless\.default\.svc\.cluster\.local$/.test(d.target)));
  });

  it('answers hostname, pod, PTR and ExternalName records', async () => {
    const db0 = (await c.getJson('/api/v1/namespaces/default/pods/db-0')).status.podIP;
    assert.deepEqual(data(await udpQuery(port, 'db-0.db.default.svc.cluster.local', 'A')), [db0]);
    assert.deepEqual(data(await udpQuery(port, '10-42-7-9.default.pod.cluster.local', 'A')), ['10.42.7.9']);
    assert.deepEqual(data(await udpQuery(port, '1.0.43.10.in-addr.arpa', 'PTR')), ['kubernetes.default.svc.cluster.local']);
    const cname = await udpQuery(port, 'docs.default.svc.cluster.local', 'A');
    assert.equal(cname.answers![0].type, 'CNAME');
    assert.equal(cname.answers![0].data, 'docs.example.test');
  });

  it('says NXDOMAIN for unknown names and NODATA for other types, with the SOA', async () => {
    const nx = await udpQuery(port, 'nosuch.default.svc.cluster.local', 'A');
    assert.equal((nx as any).rcode, 'NXDOMAIN');
    assert.equal(nx.authorities![0].type, 'SOA');
    assert.equal((nx.authorities![0] as any).data.mname, 'ns.dns.cluster.local');
    const aaaa = await udpQuery(port, 'web.default.svc.cluster.local', 'AAAA');
    assert.equal((aaaa as any).rcode, 'NOERROR');
    assert.equal(aaaa.answers!.length, 0);
    assert.equal(aaaa.authorities![0].type, 'SOA');
  });

  it('forwards other names to the configured resolvers', async () => {
    const r = await udpQuery(port, 'example.test', 'A');
    assert.deepEqual(data(r), ['192.0.2.1']);
  });

  it('follows changes: a deleted Service disappears from DNS', async () => {
    await c.k(['delete', 'service', 'web']);
    await c.until('web gone from DNS', async () => ((await udpQuery(port, 'web.default.svc.cluster.local', 'A')) as any).rcode === 'NXDOMAIN', 10_000);
  });
});
