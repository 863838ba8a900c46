/**
 * bench/dns: queries per second and latency of the cluster DNS for cluster names over
 * UDP on loopback. The server (1,000 Services, a third headless with 3 endpoints) runs
 * in a worker thread — one core — and the client keeps a window of queries in flight,
 * cycling over the names. Bounded by count and time. Target (issue 6): ≥ 20,000 q/s.
 */
import dgram from 'node:dgram';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { DnsServer } from '../src/dns/server.js';
import { serviceRecord } from '../src/dns/records.js';
import { latency, ms } from './lib/stats.js';

const SERVICES = Number(process.env.SERVICES ?? 1000);
const QUERIES = Number(process.env.QUERIES ?? 200_000);
const SECONDS = Number(process.env.SECONDS ?? 15);
const WINDOW = Number(process.env.WINDOW ?? 64);

function records() {
  return Array.from({ length: SERVICES }, (_, i) => {
    const headless = i % 3 === 0;
    const svc = { metadata: { name: `svc-${i}`, namespace: `ns-${i % 10}` }, spec: { clusterIP: headless ? 'None' : `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
    const slice = { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [1, 2, 3].map((j) => ({ addresses: [`10.42.${i >> 6}.${((i * 3 + j) & 255) || 1}`], conditions: { ready: true } })) };
    return serviceRecord(svc, [slice]);
  });
}

if (!isMainThread) {
  const server = new DnsServer({ host: '127.0.0.1', port: 0, zone: 'cluster.local', upstreams: [] });
  server.setServices(records());
  const { port } = await server.start();
  parentPort!.postMessage({ port });
  parentPort!.on('message', (m) => {
    if (m === 'rss') parentPort!.postMessage({ rss: process.memoryUsage().rss });
  });
} else {
  const worker = new Worker(fileURLToPath(import.meta.url));
  const port: number = await new Promise((r) => worker.once('message', (m) => r(m.port)));
  const names: string[] = [];
  for (let i = 0; i < SERVICES; i++) names.push(`svc-${i}.ns-${i % 10}.svc.cluster.local`);
  const queries = names.map((name, i) => dnsPacket.encode({ type: 'query', id: i & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }));
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  let sent = 0;
  let answered = 0;
  let nx = 0;
  let seq = 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  await new Promise<void>((done) => {
    const send = () => {
      if (sent >= QUERIES || performance.now() > deadline) return;
      const id = seq++ & 0xffff;
      const q = Buffer.from(queries[sent % queries.length]);
      q.writeUInt16BE(id, 0);
      sentAt.set(id, performance.now());
      sent++;
      sock.send(q, port, '127.0.0.1');
    };
    sock.on('message', (m) => {
      const id = m.readUInt16BE(0);
      const t = sentAt.get(id);
      if (t !== undefined) {
        sentAt.delete(id);
        if (answered % 10 === 0) lat.push(performance.now() - t);
      }
      if ((m.readUInt16BE(2) & 0xf) === 3) nx++;
      answered++;
      if (answered >= sent && (sent >= QUERIES || performance.now() > deadline)) return done();
      send();
    });
    for (let i = 0; i < WINDOW; i++) send();
    // Bound the wait even if datagrams are lost.
    setTimeout(done, SECONDS * 1000 + 3000).unref();
  });
  const secs = (performance.now() - t0) / 1000;
  const l = latency(lat);
  worker.postMessage('rss');
  const rss: number = await new Promise((r) => worker.once('message', (m) => r(m.rss)));
  console.log(`bench/dns: ${SERVICES} services, ${answered} of ${sent} queries answered in ${secs.toFixed(2)} s over UDP on loopback (window ${WINDOW}), ${nx} NXDOMAIN`);
  console.log(`throughput: ${Math.round(answered / secs)} queries/s (server on one core)   target ≥ 20000`);
  console.log(`latency: p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`);
  console.log(`RSS: ${(rss / 1024 / 1024).toFixed(0)} MB (process, server and client)`);
  sock.close();
  await worker.terminate();
}
