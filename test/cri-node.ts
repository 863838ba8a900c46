/**
 * Helpers for suites and benchmarks that run a real node (containerd + runc + CNI)
 * inside a network namespace of their own: why they cannot run here, the node's address
 * on a veth pair (the dummy link type does not exist on these machines), and a cleanup
 * that leaves nothing behind — containerd's mounts live in the host's mount namespace,
 * so every sandbox is removed through the CRI, containerd stopped and leftover mounts
 * under the data dir unmounted before the directory goes.
 */
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_NETNS, networkSkipReason, runInNetns, sh } from './netns.js';
import { Cluster } from './e2e/cluster.js';
import { containerdPaths } from '../src/agent/runtime/cri/containerd.js';
import { CriRuntime } from '../src/agent/runtime/cri/runtime.js';
import { silentLogger } from '../src/util/log.js';

/** Why a real-node suite cannot run here, or false. */
export function criSkipReason(): string | false {
  const net = networkSkipReason(['containerd', 'runc', 'ctr']);
  if (net) return net;
  if (!existsSync('/usr/lib/cni/bridge')) return 'needs the CNI plugins in /usr/lib/cni (containernetworking-plugins)';
  if (!existsSync('/usr/bin/busybox')) return 'needs /usr/bin/busybox (busybox-static)';
  return false;
}

/** Inside a fresh network namespace: loopback up and the node's address on a veth pair. */
export function setupNodeNetwork(nodeIP: string): void {
  sh(`ip link set lo up && ip link add sknode0 type veth peer name sknode1 && ip addr add ${nodeIP}/24 dev sknode0 && ip link set sknode0 up && ip link set sknode1 up`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Removes every pod sandbox of the node, stops its containerd, unmounts and deletes the data dir. */
export async function cleanupNode(dataDir: string, nodeName: string): Promise<void> {
  const paths = containerdPaths(dataDir);
  if (existsSync(paths.socket)) {
    const rt = new CriRuntime({ endpoint: paths.socket, nodeName, log: silentLogger, pollMs: 60_000, events: false });
    await rt.removeAll().catch(() => {});
    await rt.close();
  }
  if (existsSync(paths.pidFile)) {
    const pid = Number(readFileSync(paths.pidFile, 'utf8'));
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  // Shims of this containerd that outlived it (their address names our socket).
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.includes('containerd-shim') && cmd.includes(paths.socket)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(dataDir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(dataDir, { recursive: true, force: true });
}

/** The lines a container of a pod on the real node wrote, read from its CRI log file (timestamp, stream and tag stripped). */
export function containerLogLines(dataDir: string, pod: any, container = 'c', attempt = 0): string[] {
  const log = readFileSync(join(dataDir, 'agent', 'pod-logs', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`, container, `${attempt}.log`), 'utf8');
  return log.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
}

/** Waits until a pod has finished (Succeeded or Failed) and returns it. */
export function podFinished(c: Cluster, name: string, timeoutMs = 90_000): Promise<any> {
  return c.until(`pod ${name} to finish`, async () => {
    const p = await c.getJson(`/api/v1/namespaces/default/pods/${name}`);
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
  }, timeoutMs);
}

/** Runs a script in a fresh client pod (container `c`, restartPolicy Never) to completion: its phase and output lines. */
export async function runClientPod(
  c: Cluster,
  dataDir: string,
  name: string,
  script: string,
  o: { image: string; volumes?: any[]; volumeMounts?: any[] },
): Promise<{ phase: string; out: string[]; text: string }> {
  const container = { name: 'c', image: o.image, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], volumeMounts: o.volumeMounts };
  await c.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, volumes: o.volumes, containers: [container] } }) });
  const p = await podFinished(c, name);
  const out = containerLogLines(dataDir, p);
  return { phase: p.status.phase, out, text: out.join('\n') };
}

/** Why a suite that reads the service proxy's nftables cannot run here, or false. */
export function nftSkipReason(): string | false {
  return spawnSync('sh', ['-c', 'command -v nft']).status === 0 ? false : 'needs nft (nftables)';
}

/** A `prepare` for realNodeSuite: names outside the cluster are never looked up (no upstream resolvers at all). */
export async function noUpstreamResolvers(dataDir: string): Promise<string[]> {
  const resolv = join(dataDir, 'no-upstreams.conf');
  writeFileSync(resolv, '# no upstream resolvers in this test\n');
  return ['--resolv-conf', resolv];
}

export interface RealNodeEnv {
  /** The cluster, set once the suite's `before` has run; a suite that restarts the server assigns the new one here so cleanup kills it. */
  c: Cluster;
  /** The server's arguments (--real-node, node name and IP, then serverArgs). */
  readonly args: string[];
  readonly dataDir: string;
  readonly node: string;
  readonly nodeIp: string;
}

export interface RealNodeOptions {
  /** The suite file's import.meta.url: the outer run re-runs it inside `unshare --net`. */
  file: string;
  nodeIp: string;
  node?: string;
  /** Prefix of the node's data dir under the temp dir. */
  dataDirPrefix: string;
  serverArgs?: string[];
  /** Runs in the fresh data dir before the server starts; returns more server arguments. */
  prepare?: (dataDir: string) => Promise<string[]>;
  /** Another reason to skip, on top of criSkipReason(). */
  skip?: string | false;
  /** Timeout of the outer run (the whole inner run) and of the inner describe. */
  outerTimeoutMs: number;
  innerTimeoutMs?: number;
  /** What "the node is up" means: a pod CIDR assigned, or that and Ready=True. */
  waitFor?: 'podCIDR' | 'ready';
  readyTimeoutMs?: number;
  /** How many scenarios the inner run must pass (checked besides `ℹ fail 0`). */
  innerTests?: number;
}

/**
 * A real-node suite: outside the namespace, one test that re-runs the file under
 * `unshare --net` and checks the inner run's `ℹ fail 0`; inside, a describe that sets up
 * the node network, starts the cluster with --real-node, waits for the node and cleans
 * up after. `body` declares the scenarios; its own `before` hooks run after the node is up.
 */
export function realNodeSuite(title: string, o: RealNodeOptions, body: (env: RealNodeEnv) => void): void {
  if (!IN_NETNS) {
    describe(`${title} (in a private network namespace)`, () => {
      it('passes every scenario inside `unshare --net`', { skip: criSkipReason() || o.skip }, async () => {
        const r = await runInNetns(fileURLToPath(o.file), o.outerTimeoutMs);
        if (r.code !== 0) assert.fail(`the suite failed inside its network namespace:\n${r.output}`);
        assert.match(r.output.match(/ℹ tests \d+[\s\S]*?ℹ fail \d+/)?.[0] ?? '', /ℹ fail 0/, r.output);
        if (o.innerTests !== undefined) assert.match(r.output, new RegExp(`^ℹ pass ${o.innerTests}$`, 'm'), 'the inner suite ran its scenarios');
      });
    });
    return;
  }
  const node = o.node ?? 'node1';
  const dataDir = mkdtempSync(join(tmpdir(), o.dataDirPrefix));
  let cluster: Cluster | undefined;
  const args = ['--real-node', '--node-name', node, '--node-ip', o.nodeIp, ...(o.serverArgs ?? [])];
  const env: RealNodeEnv = {
    get c() {
      if (!cluster) throw new Error('the cluster is not started yet');
      return cluster;
    },
    set c(c: Cluster) {
      cluster = c;
    },
    args,
    dataDir,
    node,
    nodeIp: o.nodeIp,
  };
  describe(title, o.innerTimeoutMs ? { timeout: o.innerTimeoutMs } : {}, () => {
    before(async () => {
      if (spawnSync('ip', ['link', 'show', 'sknode0']).status !== 0) setupNodeNetwork(o.nodeIp);
      if (o.prepare) args.push(...(await o.prepare(dataDir)));
      const c = (cluster = await Cluster.start(args, dataDir));
      await c.until(o.waitFor === 'ready' ? 'the node Ready with a pod CIDR' : 'node ready', async () => {
        const n = await c.getJson(`/api/v1/nodes/${node}`);
        return n.spec?.podCIDR && (o.waitFor !== 'ready' || n.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True'));
      }, o.readyTimeoutMs ?? 90_000).catch((err) => {
        throw new Error(`${(err as Error).message}\n--- server log ---\n${c.logs().slice(-20_000)}`, { cause: err });
      });
    });
    after(async () => {
      await cluster?.kill();
      await cleanupNode(dataDir, node);
    });
    body(env);
  });
}
