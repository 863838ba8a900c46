/**
 * A real node: the agent on the `cri` runtime. Unless given an existing CRI socket it
 * starts its own containerd (config and state in the data dir, as k3s does), imports the
 * built-in pause and busybox images, writes the CNI config once the node has a pod CIDR,
 * and stops containerd again on shutdown (containers keep running under their shims and
 * are adopted by the next agent). Without root or containerd it refuses, naming what is
 * missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, networkInterfaces, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Clientset, InformerFactory } from '../client/clientset.js';
import type { Logger } from '../util/log.js';
import { NodeAgent, PodDispatcher } from './agent.js';
import { agentStreamingNode, StreamingServer } from './streaming/index.js';
import { CriRuntime, ensureBuiltinImages, startContainerd, waitForCri, writeCniConfig, type StartedContainerd } from './runtime/cri/index.js';

export interface RealNodeOptions {
  cs: Clientset;
  informers: InformerFactory;
  log: Logger;
  dataDir: string;
  nodeName: string;
  /** The node's InternalIP (default: the first non-loopback IPv4 address). */
  nodeIP?: string;
  /** An existing CRI socket; otherwise skiff runs its own containerd. */
  containerRuntimeEndpoint?: string;
  clusterCidr?: string;
  clusterDns?: string;
  clusterDomain?: string;
  labels?: Record<string, string>;
  /** The kubelet-style streaming endpoint (logs, exec, attach, port-forward): its certificate and port (10250; 0 any). */
  streaming?: { tls: { certPem: string; keyPem: string; caPem: string }; token?: string; port?: number };
}

const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** What this machine lacks for the cri runtime (empty: nothing). */
export function criPrerequisites(endpoint?: string): string[] {
  const missing: string[] = [];
  if (endpoint) {
    if (!existsSync(endpoint.replace(/^unix:\/\//, ''))) missing.push(`the CRI socket ${endpoint} (--container-runtime-endpoint) does not exist`);
    return missing;
  }
  if (process.getuid?.() !== 0) missing.push('root (containerd and runc need it)');
  for (const [bin, pkg] of [['containerd', 'containerd'], ['ctr', 'containerd'], ['runc', 'runc']] as const) if (!onPath(bin)) missing.push(`${bin} (Debian package ${pkg})`);
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('the CNI plugins in /usr/lib/cni (Debian package containernetworking-plugins)');
  if (!existsSync('/usr/bin/busybox')) missing.push('/usr/bin/busybox for the pause image (Debian package busybox-static)');
  return missing;
}

export function defaultNodeIP(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  return '127.0.0.1';
}

/** A file's first line, or undefined when it cannot be read (the kubelet leaves such fields empty). */
function firstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n')[0].trim() || undefined;
  } catch {
    return undefined;
  }
}

function osImage(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

/** Keeps the cluster's pod network on this machine: an address in it with no pod is refused, not routed off. */
function keepClusterCidrLocal(cidr: string, log: Logger): void {
  const r = spawnSync('ip', ['route', 'replace', 'unreachable', cidr]);
  if (r.status !== 0) log.warn('could not add the unreachable route for the cluster CIDR', { cidr, err: String(r.stderr) });
}

/** Starts the local real node; resolves once it runs, with a promise that settles after it has stopped. */
export async function startRealNode(o: RealNodeOptions, signal: AbortSignal): Promise<{ done: Promise<void> }> {
  const log = o.log;
  const missing = criPrerequisites(o.containerRuntimeEndpoint);
  if (missing.length) throw new Error(`the cri runtime cannot start: missing ${missing.join('; ')}`);
  let containerd: StartedContainerd | undefined;
  let socket: string;
  let runtimeVersion: string;
  let snapshotter = 'overlayfs';
  if (o.containerRuntimeEndpoint) {
    socket = o.containerRuntimeEndpoint.replace(/^unix:\/\//, '');
    runtimeVersion = await waitForCri(socket, 10_000);
  } else {
    containerd = await startContainerd({ dataDir: o.dataDir, log: log.child('containerd') });
    socket = containerd.socket;
    runtimeVersion = containerd.runtimeVersion;
    snapshotter = containerd.snapshotter;
  }
  try {
    ensureBuiltinImages({ socket, dataDir: o.dataDir, snapshotter, log });
  } catch (err) {
    await containerd?.stop();
    throw err;
  }
  if (o.clusterCidr) keepClusterCidrLocal(o.clusterCidr, log);
  const agentDir = join(o.dataDir, 'agent');
  const memory = totalmem();
  const dispatcher = new PodDispatcher(o.informers);
  const agent = new NodeAgent({
    cs: o.cs,
    informers: o.informers,
    log: log.child('agent'),
    identity: {
      name: o.nodeName,
      hostIP: o.nodeIP ?? defaultNodeIP(),
      capacity: { cpu: String(cpus().length), memory: `${Math.floor(memory / 1024)}Ki`, pods: '110' },
      labels: o.labels,
      runtimeVersion,
      kernelVersion: release(),
      osImage: osImage(),
      machineID: firstLine('/etc/machine-id'),
      systemUUID: firstLine('/sys/class/dmi/id/product_uuid'),
      bootID: firstLine('/proc/sys/kernel/random/boot_id'),
    },
    runtime: (podCidr) => {
      writeCniConfig({ confDir: join(agentDir, 'cni'), podCidr, ipamDataDir: join(agentDir, 'ipam'), clusterCidr: o.clusterCidr });
      return new CriRuntime({ endpoint: socket, nodeName: o.nodeName, log: log.child('cri'), runtimeVersion });
    },
    // Pod syncs mostly wait on containerd (sandbox setup, CNI): many in flight keep it busy.
    workers: 16,
    containerEvents: true,
    podConfig: { rootDir: agentDir, clusterDomain: o.clusterDomain },
    podSpec: {
      podLogRoot: join(agentDir, 'pod-logs'),
      podsDir: join(agentDir, 'pods'),
      clusterDns: o.clusterDns ? [o.clusterDns] : [],
      clusterDomain: o.clusterDomain,
      memoryCapacity: memory,
    },
  });
  dispatcher.add(agent);
  let streaming: StreamingServer | undefined;
  if (o.streaming) {
    streaming = new StreamingServer({ tls: o.streaming.tls, token: o.streaming.token, log: log.child('streaming') });
    try {
      agent.o.identity.kubeletPort = await streaming.listen(agentStreamingNode(agent, o.informers, { hostStats: true }), agent.o.identity.hostIP, o.streaming.port ?? 10250);
    } catch (err) {
      log.warn('no streaming endpoint: kubectl logs/exec/port-forward will not reach this node', { err });
    }
  }
  log.info('real node starting', { node: o.nodeName, runtime: runtimeVersion, socket, ownContainerd: !!containerd });
  const done = agent
    .start(signal)
    .catch((err) => log.error('node agent failed', { node: o.nodeName, err }))
    .finally(() => streaming?.close())
    .finally(() => containerd?.stop().catch((err) => log.warn('stopping containerd failed', { err })));
  return { done };
}
