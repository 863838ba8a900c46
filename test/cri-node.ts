/**
 * Helpers for suites and benchmarks that run a real node (containerd + runc + CNI)
 * inside a network namespace of their own: why they cannot run here, the node's address
 * on a veth pair (the dummy link type does not exist on these machines), and a cleanup
 * that leaves nothing behind — containerd's mounts live in the host's mount namespace,
 * so every sandbox is removed through the CRI, containerd stopped and leftover mounts
 * under the data dir unmounted before the directory goes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { networkSkipReason, sh } from './netns.js';
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
