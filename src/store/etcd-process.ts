/**
 * Starts real etcd members on loopback for tests and benchmarks (Debian's etcd-server):
 * a single member or a cluster of several, each with its own data dir and ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

export class EtcdCluster {
  private constructor(readonly members: EtcdMember[], private readonly root: string) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  static async start(size = 1): Promise<EtcdCluster> {
    const root = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
    const members: EtcdMember[] = [];
    for (let i = 0; i < size; i++) {
      members.push({ name: `m${i}`, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, dir: join(root, `m${i}`) });
    }
    const c = new EtcdCluster(members, root);
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
          const r = await fetch(`${m.clientUrl}/health`);
          if (r.ok && (await r.json()).health === 'true') break;
        } catch {
          // not up yet
        }
        if (Date.now() > end) throw new Error(`etcd member ${m.name} not healthy in time`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
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
