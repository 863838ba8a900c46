/**
 * Suites that touch real networking run inside a network namespace of their own, so no
 * packet they send can leave the machine: the test file re-runs itself under
 * `unshare --net` and the outer run reports the inner run's result.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';

export const IN_NETNS = process.env.SKIFF_TEST_NETNS === '1';

/** Why a networking suite cannot run here, or undefined. */
export function networkSkipReason(bins: string[]): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const b of ['unshare', 'nsenter', 'ip', ...bins]) if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `needs ${b}`;
  return false;
}

/** Runs `file` with node's test runner inside a fresh network namespace; resolves with its exit code and output. */
export function runInNetns(file: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // The inner run is a test run of its own (node:test refuses to nest otherwise).
    const env: NodeJS.ProcessEnv = { ...process.env, SKIFF_TEST_NETNS: '1' };
    delete env.NODE_TEST_CONTEXT;
    const p = spawn('unshare', ['--net', process.execPath, '--test', '--test-reporter=spec', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, output });
    });
  });
}

export const sh = (cmd: string) => {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr || r.stdout}`);
  return r.stdout;
};

export interface FakePod {
  pid: number;
  ip: string;
  /** Runs a shell command in the pod's network namespace. */
  exec(cmd: string): string;
  kill(): void;
}

/**
 * A "pod" without a container runtime: a network namespace held open by a sleeping
 * process, a veth into the node's bridge, and busybox httpd answering with its name.
 */
export function fakePod(name: string, ip: string, bridge: string, gateway: string, webRoot: string): FakePod {
  const holder = spawn('unshare', ['--net', 'sleep', '100000'], { stdio: 'ignore', detached: false });
  const pid = holder.pid!;
  for (let i = 0; i < 100 && !existsSync(`/proc/${pid}/ns/net`); i++) spawnSync('sleep', ['0.01']);
  // Wait until unshare has exec'd sleep in its new namespace.
  for (let i = 0; i < 200; i++) {
    if (spawnSync('sh', ['-c', `[ "$(readlink /proc/${pid}/ns/net)" != "$(readlink /proc/self/ns/net)" ]`]).status === 0) break;
    spawnSync('sleep', ['0.01']);
  }
  const ns = `nsenter --net=/proc/${pid}/ns/net`;
  const host = `vh${pid}`;
  sh(`ip link add ${host} type veth peer name eth0 netns ${pid}`);
  // Hairpin on the bridge port, as the CNI bridge plugin's hairpinMode sets it: with
  // br_netfilter, a pod reaching itself through a VIP is bridged back out its own port.
  sh(`ip link set ${host} master ${bridge} up && ip link set ${host} type bridge_slave hairpin on`);
  sh(`${ns} sh -c 'ip link set lo up && ip link set eth0 up && ip addr add ${ip}/24 dev eth0 && ip route add default via ${gateway}'`);
  sh(`mkdir -p ${webRoot}/${name} && printf '${name}' > ${webRoot}/${name}/index.html`);
  sh(`${ns} busybox httpd -p 8080 -h ${webRoot}/${name}`);
  return {
    pid,
    ip,
    exec: (cmd) => sh(`${ns} sh -c '${cmd.replace(/'/g, "'\\''")}'`),
    kill: () => {
      spawnSync('sh', ['-c', `${ns} pkill -f 'httpd -p 8080 -h ${webRoot}/${name}'`]);
      holder.kill('SIGKILL');
    },
  };
}

/** GET over plain HTTP on a fresh connection: the body, trimmed; rejects on an error or after timeoutMs. */
export function httpGet(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
