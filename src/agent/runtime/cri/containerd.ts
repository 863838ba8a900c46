/**
 * containerd as a child of the agent, as k3s runs it: a config (version 2) in
 * <data-dir>/containerd with its own root, state and socket, the CRI plugin set up for
 * these machines (cgroupfs, restrict_oom_score_adj, overlayfs or native, the locally
 * built pause image, skiff's CNI config), started, waited for, and stopped with SIGTERM.
 * A containerd left running by an earlier agent (killed with SIGKILL) is reused, so its
 * containers keep running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../../util/log.js';
import { sleep } from '../../../client/informer.js';
import { connectCri } from './client.js';

export const PAUSE_IMAGE = 'skiff.local/pause:3.9';

export interface ContainerdPaths {
  dir: string;
  root: string;
  state: string;
  socket: string;
  config: string;
  pidFile: string;
  log: string;
  cniConfDir: string;
  cniBinDir: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const dir = join(dataDir, 'containerd');
  return {
    dir,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: join(dir, 'containerd.sock'),
    config: join(dir, 'config.toml'),
    pidFile: join(dir, 'containerd.pid'),
    log: join(dir, 'containerd.log'),
    cniConfDir: join(dataDir, 'agent', 'cni'),
    cniBinDir: '/usr/lib/cni',
  };
}

/** Whether overlayfs mounts work under dir (not on overlay-on-overlay, some container filesystems). */
export function overlaySupported(dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  const t = mkdtempSync(join(dir, '.overlay-check-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(t, d));
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${t}/lower,upperdir=${t}/upper,workdir=${t}/work`, `${t}/merged`]);
    if (r.status !== 0) return false;
    spawnSync('umount', [`${t}/merged`]);
    return true;
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

export interface ContainerdConfigOptions {
  paths: ContainerdPaths;
  snapshotter: 'overlayfs' | 'native';
  streamPort: number;
  sandboxImage?: string;
}

const q = (s: string) => JSON.stringify(s);

/** config.toml (version 2) for containerd 1.6 with only what a node needs. */
export function containerdConfig(o: ContainerdConfigOptions): string {
  const p = o.paths;
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `# Written by skiff: containerd for this node's pods (CRI). Rewritten at every agent start.
version = 2
root = ${q(p.root)}
state = ${q(p.state)}
# Plugins a node never uses: other snapshotters, tracing.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${q(p.socket)}

[ttrpc]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(p.dir, 'opt'))}

[${cri}]
  sandbox_image = ${q(o.sandboxImage ?? PAUSE_IMAGE)}
  # These machines lack CAP_SYS_RESOURCE: without this runc fails every sandbox
  # ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = ${q(String(o.streamPort))}
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # Pod network namespaces under our state dir, not the host-wide /var/run/netns.
  netns_mounts_under_state_dir = true
  max_container_log_line_size = 16384

[${cri}.containerd]
  snapshotter = ${q(o.snapshotter)}
  default_runtime_name = "runc"
  discard_unpacked_layers = false

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  # cgroups v1 through cgroupfs: there is no systemd on these machines.
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = ${q(p.cniBinDir)}
  conf_dir = ${q(p.cniConfDir)}
  max_conf_num = 1
`;
}

/** A free TCP port on loopback (for containerd's CRI streaming server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of a containerd still running with this config, if any. */
function runningContainerd(paths: ContainerdPaths): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (!pid || !alive(pid)) return undefined;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('containerd') && cmd.includes(paths.config) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until the CRI answers Version on the socket. */
export async function waitForCri(socket: string, timeoutMs: number, failed?: () => string | undefined): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    const why = failed?.();
    if (why) throw new Error(why);
    if (existsSync(socket)) {
      const c = connectCri(socket);
      try {
        const v = await c.runtime.Version({ version: 'v1' }, 2000);
        return `${v.runtimeName}://${v.runtimeVersion}`;
      } catch (err) {
        last = err;
      } finally {
        c.close();
      }
    }
    await sleep(100);
  }
  throw new Error(`containerd did not answer on ${socket} within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

export interface StartedContainerd {
  socket: string;
  /** The running containerd's pid (changes when the watchdog restarts it). */
  readonly pid: number;
  snapshotter: 'overlayfs' | 'native';
  runtimeVersion: string;
  stop(): Promise<void>;
}

function spawnContainerd(paths: ContainerdPaths, binary: string): ChildProcess {
  rmSync(paths.socket, { force: true });
  const fd = openSync(paths.log, 'a');
  // Its own process group: a Ctrl-C to the agent's terminal is the agent's to handle.
  const child = spawn(binary, ['--config', paths.config], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  writeFileSync(paths.pidFile, `${child.pid}\n`);
  return child;
}

/**
 * Writes the config and starts containerd (or reuses the one an earlier agent left
 * running), then watches it: a containerd that dies is started again (as k3s
 * supervises its containerd), its containers still running under their shims.
 */
export async function startContainerd(o: { dataDir: string; log: Logger; binary?: string }): Promise<StartedContainerd> {
  const paths = containerdPaths(o.dataDir);
  const binary = o.binary ?? 'containerd';
  for (const d of [paths.dir, paths.root, paths.state, paths.cniConfDir]) mkdirSync(d, { recursive: true, mode: 0o711 });
  const snapshotter = overlaySupported(paths.root) ? 'overlayfs' : 'native';
  let pid = runningContainerd(paths);
  let child: ChildProcess | undefined;
  if (pid) {
    o.log.info('reusing the containerd an earlier agent started', { pid, socket: paths.socket });
  } else {
    if (snapshotter === 'native') o.log.warn('overlayfs does not work here: containerd uses the native snapshotter (slower, more disk)', { dir: paths.root });
    writeFileSync(paths.config, containerdConfig({ paths, snapshotter, streamPort: await freePort() }));
    child = spawnContainerd(paths, binary);
    pid = child.pid!;
    o.log.info('containerd starting', { pid, config: paths.config, snapshotter });
  }
  const exited = () => (child && child.exitCode !== null ? `containerd exited with code ${child.exitCode}; see ${paths.log}` : undefined);
  let runtimeVersion: string;
  try {
    runtimeVersion = await waitForCri(paths.socket, 30_000, exited);
  } catch (err) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }
  let current = pid;
  let stopping = false;
  let restarts = 0;
  let nextTry = 0;
  // The watchdog: checks every second; restarts back off from 1 s doubling to 30 s.
  const watchdog = setInterval(() => {
    if (stopping || alive(current) || Date.now() < nextTry) return;
    restarts++;
    nextTry = Date.now() + Math.min(30_000, 1000 * 2 ** Math.min(restarts - 1, 5));
    const c = spawnContainerd(paths, binary);
    o.log.warn('containerd died: started it again', { old: current, pid: c.pid, restarts, log: paths.log });
    current = c.pid!;
  }, 1000);
  watchdog.unref();
  return {
    socket: paths.socket,
    get pid() {
      return current;
    },
    snapshotter,
    runtimeVersion,
    async stop() {
      stopping = true;
      clearInterval(watchdog);
      const thePid = current;
      if (!alive(thePid)) return;
      process.kill(thePid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(thePid); i++) await sleep(100);
      if (alive(thePid)) {
        o.log.warn('containerd did not stop within 10 s of SIGTERM: killing it', { pid: thePid });
        process.kill(thePid, 'SIGKILL');
      }
      rmSync(paths.pidFile, { force: true });
      o.log.info('containerd stopped', { pid: thePid });
    },
  };
}
