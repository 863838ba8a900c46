/** `skiff controller-manager`, `skiff scheduler`, `skiff agent`: one component per process. */
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import yaml from 'js-yaml';
import { createLogger, type Level } from '../util/log.js';
import { helpText, leaderElectionFlags, leaderElectionTimings, parseFlags, podGcFlags, podGcSettings, hpaFlags, hpaSettings, UsageError, type HpaSettings, type FlagSpec, type LeaderElectionTimings, type PodGcSettings } from './flags.js';
import { restFromFlags } from './client-config.js';
import { randomBytes } from 'node:crypto';
import { Clientset, InformerFactory } from '../client/clientset.js';
import { defaultDataDir } from '../server/config.js';
import { NODE_SERVING_CERT_PATH } from '../apiserver/node-cert-path.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const common: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', metavar: 'FILE', help: 'kubeconfig to reach the API server' },
  { name: 'server', type: 'string', metavar: 'URL', multiple: true, help: 'API server URL (with --token); several (comma-separated or repeated) to fail over between' },
  { name: 'token', type: 'string', metavar: 'T', help: 'Cluster token (with --server)' },
  { name: 'log-level', type: 'string', metavar: 'LEVEL', help: 'debug, info, warn or error', default: 'info' },
];

const specs: Record<string, { usage: string; flags: FlagSpec[] }> = {
  'controller-manager': {
    usage: 'Usage: skiff controller-manager [flags]\n\nRuns the controllers (replicaset, deployment, garbage collector, pod garbage collector, namespace, node IPAM, ...) under leader election.',
    flags: [
      ...common,
      { name: 'cluster-cidr', type: 'string', metavar: 'CIDR', help: 'Pod network', default: '10.42.0.0/16' },
      { name: 'leader-elect', type: 'string', metavar: 'BOOL', help: 'Use leader election', default: 'true' },
      { name: 'default-local-storage-path', type: 'string', metavar: 'DIR', help: 'Where the local-path provisioner puts volumes on every node (as the servers\' --default-local-storage-path)', default: '/var/lib/skiff/storage' },
      ...leaderElectionFlags,
      ...podGcFlags,
      ...hpaFlags,
    ],
  },
  scheduler: {
    usage: 'Usage: skiff scheduler [flags]\n\nRuns the scheduler under leader election.',
    flags: [...common, { name: 'config', type: 'string', metavar: 'FILE', help: 'KubeSchedulerConfiguration file' }, { name: 'leader-elect', type: 'string', metavar: 'BOOL', help: 'Use leader election', default: 'true' }, ...leaderElectionFlags],
  },
  agent: {
    usage: 'Usage: skiff agent [flags]\n\nRuns this machine as a node: pods run under containerd (started by the agent unless --container-runtime-endpoint names one). With --simulated, hollow nodes that run no containers.',
    flags: [
      ...common,
      { name: 'simulated', type: 'boolean', help: 'Run simulated (hollow) nodes: no containers' },
      { name: 'simulated-nodes', type: 'string', metavar: 'N', help: 'How many simulated nodes', default: '1' },
      { name: 'node-name', type: 'string', metavar: 'NAME', help: 'Node name (prefix when several)', default: hostname() },
      { name: 'simulated-start-delay', type: 'string', metavar: 'MS', help: 'Milliseconds a simulated container takes to start', default: '0' },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'Folder for containerd, CNI and pod logs', default: defaultDataDir() },
      { name: 'container-runtime-endpoint', type: 'string', metavar: 'SOCKET', help: 'CRI socket of an existing containerd (default: run our own)' },
      { name: 'node-ip', type: 'string', metavar: 'IP', help: 'InternalIP of this node (default: the first non-loopback IPv4 address)' },
      { name: 'cluster-cidr', type: 'string', metavar: 'CIDR', help: 'Pod network (kept on this machine)', default: '10.42.0.0/16' },
      { name: 'cluster-dns', type: 'string', metavar: 'IP', help: 'Cluster DNS address for pods', default: '10.43.0.10' },
      { name: 'cluster-domain', type: 'string', metavar: 'DOMAIN', help: 'Cluster domain', default: 'cluster.local' },
      { name: 'service-cidr', type: 'string', metavar: 'CIDR', help: 'Service network (routed locally by the service proxy)', default: '10.43.0.0/16' },
      { name: 'disable-kube-proxy', type: 'boolean', help: 'Do not run the service proxy (nftables rules for Services) with this node' },
    ],
  },
  proxy: {
    usage: 'Usage: skiff proxy [flags]\n\nRuns the service proxy of one node: programs nftables for Services (ClusterIP, NodePort, external IPs).',
    flags: [
      ...common,
      { name: 'node-name', type: 'string', metavar: 'NAME', help: 'This node (for traffic policy Local)', default: hostname() },
      { name: 'cluster-cidr', type: 'string', metavar: 'CIDR', help: 'Pod network', default: '10.42.0.0/16' },
      { name: 'service-cidr', type: 'string', metavar: 'CIDR', help: 'Service network (routed locally)', default: '10.43.0.0/16' },
    ],
  },
};

export async function runComponent(cmd: 'controller-manager' | 'scheduler' | 'agent' | 'proxy', argv: string[]): Promise<number> {
  const spec = specs[cmd];
  let f: Record<string, any>;
  let leaderElection: LeaderElectionTimings | undefined;
  let podGc: PodGcSettings | undefined;
  let hpa: HpaSettings | undefined;
  try {
    f = parseFlags(spec.flags, argv);
    if (cmd === 'controller-manager' || cmd === 'scheduler') leaderElection = leaderElectionTimings(f);
    if (cmd === 'controller-manager') podGc = podGcSettings(f);
    if (cmd === 'controller-manager') hpa = hpaSettings(f);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`Error: ${err.message}\nRun 'skiff ${cmd} --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (f.help) {
    process.stdout.write(helpText(spec.usage, spec.flags));
    return 0;
  }
  if (cmd === 'agent' && !f.simulated) {
    // Before connecting anywhere: a machine that cannot run containers says so at once.
    const { criPrerequisites } = await import('../agent/real-node.js');
    const missing = criPrerequisites(f['container-runtime-endpoint']);
    if (missing.length) {
      process.stderr.write(`Error: the cri runtime cannot start: missing ${missing.join('; ')}.\nRun with --simulated for hollow nodes that run no containers.\n`);
      return 1;
    }
  }
  const log = createLogger({ level: f['log-level'] as Level, component: cmd });
  let rest;
  try {
    rest = await restFromFlags(f, `skiff-${cmd}`, (from, to, err) => log.warn('API server unreachable: failing over', { from, to, err }));
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 2;
  }
  const ac = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => ac.abort());
  const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
  const leaderElect = f['leader-elect'] !== 'false';
  // Roles load their modules on demand: an agent process does not carry the controllers.
  const roles = () => import('../server/components.js');
  if (cmd === 'controller-manager') await (await roles()).runControllerManager({ rest, log, identity, leaderElect, leaderElection, clusterCidr: f['cluster-cidr'], podGc, storage: { localStoragePath: f['default-local-storage-path'], isLocalNode: () => false }, hpa }, ac.signal);
  else if (cmd === 'scheduler') {
    const config = f.config ? yaml.load(readFileSync(f.config, 'utf8')) : undefined;
    await (await roles()).runScheduler({ rest, log, identity, leaderElect, leaderElection, config }, ac.signal);
  } else if (cmd === 'proxy') {
    const { proxyPrerequisites } = await import('../proxy/host.js');
    const { runProxy } = await import('../proxy/run.js');
    const missing = proxyPrerequisites();
    if (missing) {
      process.stderr.write(`Error: ${missing}\n`);
      return 2;
    }
    await runProxy({ rest, log, nodeName: f['node-name'], clusterCidr: f['cluster-cidr'], serviceCidr: f['service-cidr'] }, ac.signal);
  } else {
    if (!f.simulated) {
      const { defaultNodeIP, startRealNode } = await import('../agent/real-node.js');
      const cs = new Clientset(rest, 'skiff-agent');
      const informers = new InformerFactory(cs, log.child('informers'));
      informers.start(ac.signal);
      // The node's streaming endpoint (logs, exec, port-forward) needs a certificate from the cluster CA.
      let streaming: { tls: { certPem: string; keyPem: string; caPem: string }; token?: string } | undefined;
      try {
        const tls = await rest.request(NODE_SERVING_CERT_PATH, { method: 'POST', body: { nodeName: f['node-name'], ips: [f['node-ip'] ?? defaultNodeIP(), '127.0.0.1'] } });
        streaming = { tls, token: f.token };
      } catch (err) {
        log.warn('no serving certificate from the server: kubectl logs/exec/port-forward will not reach this node', { err });
      }
      // The node's service proxy runs beside it (k3s runs kube-proxy in every agent).
      const { runNodeProxy } = await import('../proxy/node-proxy.js');
      const proxy = runNodeProxy({ rest, informers, log: log.child('proxy'), nodeName: f['node-name'], clusterCidr: f['cluster-cidr'], serviceCidr: f['service-cidr'], disabled: f['disable-kube-proxy'] }, ac.signal);
      try {
        const { done } = await startRealNode(
          {
            streaming,
            cs,
            informers,
            log,
            dataDir: f['data-dir'],
            nodeName: f['node-name'],
            nodeIP: f['node-ip'],
            containerRuntimeEndpoint: f['container-runtime-endpoint'],
            clusterCidr: f['cluster-cidr'],
            clusterDns: f['cluster-dns'],
            clusterDomain: f['cluster-domain'],
          },
          ac.signal,
        );
        await done;
        ac.abort();
        await proxy;
      } catch (err) {
        ac.abort();
        process.stderr.write(`Error: ${(err as Error).message}\n`);
        rest.close();
        return 1;
      }
      rest.close();
      return 0;
    }
    const count = Number(f['simulated-nodes']);
    // The nodes' streaming endpoint (logs, exec, port-forward) needs a certificate from the cluster CA.
    let streaming: { tls: { certPem: string; keyPem: string; caPem: string }; token?: string } | undefined;
    try {
      const tls = await rest.request(NODE_SERVING_CERT_PATH, { method: 'POST', body: { nodeName: f['node-name'], ips: ['127.0.0.1'] } });
      streaming = { tls, token: f.token };
    } catch (err) {
      log.warn('no serving certificate from the server: kubectl logs/exec/port-forward will not reach these nodes', { err });
    }
    // Hollow containers' logs live as long as this process.
    const logDir = join(tmpdir(), `skiff-agent-${process.pid}-logs`);
    await (await roles()).runSimulatedAgents({ rest, log, count, namePrefix: f['node-name'], startDelayMs: Number(f['simulated-start-delay']) || 0, streaming, logDir }, ac.signal);
    rmSync(logDir, { recursive: true, force: true });
  }
  rest.close();
  return 0;
}
