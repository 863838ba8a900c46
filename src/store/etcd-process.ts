/**
 * Starts real etcd members on loopback for tests and benchmarks (Debian's etcd-server):
 * a single member or a cluster of several, each with its own data dir and ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dir: string;
  proc?: ChildProcess;
}

/** Client TLS for the members: they serve https with these files and require client certificates signed by caFile. */
export interface EtcdTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** PEM contents of a client certificate and key the health checks use. */
  client: { caPem: string; certPem: string; keyPem: string };
}

export class EtcdCluster {
  private constructor(
    readonly members: EtcdMember[],
    private readonly root: string,
    private readonly tls?: EtcdTlsFiles,
  ) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  static async start(size = 1, tls?: EtcdTlsFiles): Promise<EtcdCluster> {
    const root = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
    const members: EtcdMember[] = [];
    const scheme = tls ? 'https' : 'http';
    for (let i = 0; i < size; i++) {
      members.push({ name: `m${i}`, clientUrl: `${scheme}://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, dir: join(root, `m${i}`) });
    }
    const c = new EtcdCluster(members, root, tls);
    for (const m of members) c.launch(m);
    await c.waitHealthy();
    return c;
  }

  launch(m: EtcdMember): void {
    const initial = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    m.proc = spawn(
      'etcd',
      [
        '--name', m.name,
        '--data-dir', m.dir,
        '--listen-client-urls', m.clientUrl,
        '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl,
        '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', initial,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'skiff-test',
        '--log-level', 'error',
        ...(this.tls ? ['--cert-file', this.tls.certFile, '--key-file', this.tls.keyFile, '--trusted-ca-file', this.tls.caFile, '--client-cert-auth'] : []),
      ],
      { stdio: 'ignore' },
    );
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (const m of this.members) {
      if (!m.proc || m.proc.exitCode !== null || m.proc.signalCode !== null) continue;
      for (;;) {
        try {
          if ((await this.health(m.clientUrl)) === 'true') break;
        } catch {
          // not up yet
        }
        if (Date.now() > end) throw new Error(`etcd member ${m.name} not healthy in time`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The member's /health answer ("true" when it has a leader and serves). */
  private async health(clientUrl: string): Promise<string | undefined> {
    if (!this.tls) {
      const r = await fetch(`${clientUrl}/health`);
      return r.ok ? (await r.json()).health : undefined;
    }
    const { caPem, certPem, keyPem } = this.tls.client;
    return new Promise((resolve, reject) => {
      const req = request(`${clientUrl}/health`, { ca: caPem, cert: certPem, key: keyPem, timeout: 2000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(res.statusCode === 200 ? JSON.parse(body).health : undefined));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('etcd health check timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  kill(i: number): void {
    this.members[i].proc?.kill('SIGKILL');
  }

  /** Index of the member that is the raft leader now (asked through etcd's JSON gateway). */
  async leaderIndex(): Promise<number> {
    const ids: string[] = [];
    let leader = '';
    for (const m of this.members) {
      try {
        const r = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' });
        const j = (await r.json()) as { header: { member_id: string }; leader: string };
        ids.push(j.header.member_id);
        leader ||= j.leader;
      } catch {
        ids.push(''); // down
      }
    }
    const i = ids.indexOf(leader);
    if (i < 0) throw new Error('no etcd member reports a leader');
    return i;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            const p = m.proc;
            if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.root, { recursive: true, force: true });
  }
}
