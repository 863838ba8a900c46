/**
 * The cluster DNS server: UDP and TCP on one port, authoritative for the cluster zone
 * (records from DnsIndex), forwarding every other name to the upstream resolvers.
 * Answers are cached as encoded packets keyed by the query bytes after the ID (so a
 * repeated question costs a copy and two bytes), and the cache is dropped whenever the
 * index changes. UDP answers that do not fit (512 bytes, or the client's EDNS size) are
 * truncated with TC set, so the client retries over TCP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';
import type { Logger } from '../util/log.js';
import { DnsIndex, type ServiceRecord } from './records.js';

const AUTHORITATIVE = 1 << 10;
const TRUNCATED = 1 << 9;
const RECURSION_DESIRED = 1 << 8;
const RECURSION_AVAILABLE = 1 << 7;
const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const CACHE_MAX = 20_000;

export interface DnsServerOptions {
  host: string;
  port: number;
  zone: string;
  /** Upstream resolvers ("ip" or "ip:port") for names outside the zone. */
  upstreams: string[];
  log?: Logger;
  forwardTimeoutMs?: number;
  /** Which clients are served; others get REFUSED (a listener on a routable address is not an open resolver). */
  allow?: (address: string) => boolean;
}

export class DnsServer {
  private index: DnsIndex;
  private cache = new Map<string, Buffer>();
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly tcpSockets = new Set<net.Socket>();

  constructor(private readonly o: DnsServerOptions) {
    this.index = DnsIndex.build(o.zone, []);
  }

  /** Replaces what the zone holds. */
  setServices(records: ServiceRecord[]): void {
    this.index = DnsIndex.build(this.o.zone, records);
    this.cache = new Map();
  }

  async start(): Promise<{ port: number }> {
    const udp = (this.udp = dgram.createSocket({ type: 'udp4', reuseAddr: false }));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.o.port, this.o.host, () => resolve());
    });
    udp.on('error', (err) => this.o.log?.error('dns udp socket error', { err }));
    const port = udp.address().port;
    udp.on('message', (msg, rinfo) => {
      if (this.o.allow && !this.o.allow(rinfo.address)) {
        if (msg.length >= 12) udp.send(header(msg, RCODES.REFUSED), rinfo.port, rinfo.address);
        return;
      }
      void this.answer(msg, 'udp').then((r) => r && udp.send(r, rinfo.port, rinfo.address));
    });
    const tcp = (this.tcp = net.createServer((s) => this.serveTcp(s)));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, this.o.host, () => resolve());
    });
    return { port };
  }

  async close(): Promise<void> {
    this.udp?.close();
    for (const s of this.tcpSockets) s.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  private serveTcp(s: net.Socket): void {
    this.tcpSockets.add(s);
    s.on('close', () => this.tcpSockets.delete(s));
    s.on('error', () => s.destroy());
    s.setTimeout(10_000, () => s.destroy());
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const refused = this.o.allow && !this.o.allow((s.remoteAddress ?? '').replace(/^::ffff:/, ''));
        if (refused) {
          if (msg.length >= 12) s.write(withLength(header(Buffer.from(msg), RCODES.REFUSED)));
          continue;
        }
        void this.answer(Buffer.from(msg), 'tcp').then((r) => {
          if (!r || s.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(r.length);
          s.write(Buffer.concat([len, r]));
        });
      }
    });
  }

  /** The response to one query (undefined: drop it). */
  async answer(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (query.length < 12) return undefined;
    const key = transport + query.toString('latin1', 2);
    const hit = this.cache.get(key);
    if (hit) {
      const out = Buffer.from(hit);
      out[0] = query[0];
      out[1] = query[1];
      return out;
    }
    let q: Packet;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return header(query, RCODES.FORMERR);
    }
    const question = q.questions?.[0];
    if (!question || (q.flags ?? 0) & 0x7800) return header(query, RCODES.NOTIMP);
    const found = this.index.lookup(question.name, question.type);
    if (!found.rcode) return this.forward(query);
    const opt = (q.additionals ?? []).find((r: any) => r.type === 'OPT') as any;
    const rd = (q.flags ?? 0) & RECURSION_DESIRED;
    const resp: Packet = {
      type: 'response',
      id: q.id,
      flags: AUTHORITATIVE | rd | RECURSION_AVAILABLE | RCODES[found.rcode],
      questions: [question],
      answers: found.answers,
      authorities: found.answers.length ? [] : [this.index.soa()],
      additionals: [...found.additionals, ...(opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as any] : [])],
    };
    let out = dnsPacket.encode(resp);
    const limit = transport === 'tcp' ? 65535 : Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 1232));
    if (out.length > limit) out = dnsPacket.encode({ ...resp, flags: (resp.flags ?? 0) | TRUNCATED, answers: [], authorities: [], additionals: opt ? resp.additionals!.slice(-1) : [] });
    if (this.cache.size >= CACHE_MAX) this.cache = new Map();
    this.cache.set(key, out);
    return out;
  }

  /** Asks each upstream in turn; SERVFAIL when none answers. */
  private async forward(query: Buffer): Promise<Buffer> {
    for (const up of this.o.upstreams) {
      const [host, port] = up.includes(':') ? [up.slice(0, up.lastIndexOf(':')), Number(up.slice(up.lastIndexOf(':') + 1))] : [up, 53];
      const reply = await udpExchange(query, host, port, this.o.forwardTimeoutMs ?? 2000).catch(() => undefined);
      if (reply) return reply;
    }
    return header(query, RCODES.SERVFAIL);
  }
}

/** A bare response header echoing the query's question section, with an rcode. */
function withLength(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

function header(query: Buffer, rcode: number): Buffer {
  const out = Buffer.from(query);
  const rd = out.readUInt16BE(2) & RECURSION_DESIRED;
  out.writeUInt16BE(0x8000 | rd | RECURSION_AVAILABLE | rcode, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  // Keep the question (qdcount as sent); drop any additional records the query carried.
  const qd = out.readUInt16BE(4);
  out.writeUInt16BE(0, 10);
  if (qd === 0) return out.subarray(0, 12);
  let off = 12;
  for (let i = 0; i < qd && off < out.length; i++) {
    for (;;) {
      const len = out[off];
      if (len === undefined) break;
      if ((len & 0xc0) === 0xc0) {
        off += 2;
        break;
      }
      off += len + 1;
      if (len === 0) break;
    }
    off += 4;
  }
  return out.subarray(0, Math.min(off, out.length));
}

function udpExchange(query: Buffer, host: string, port: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('upstream timeout'));
    }, timeoutMs);
    s.on('error', (err) => {
      clearTimeout(t);
      s.close();
      reject(err);
    });
    s.on('message', (msg) => {
      if (msg.length < 2 || msg[0] !== query[0] || msg[1] !== query[1]) return;
      clearTimeout(t);
      s.close();
      resolve(msg);
    });
    s.send(query, port, host);
  });
}
