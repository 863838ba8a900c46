/** `skiff server`: flags (k3s's names), then a SkiffServer until SIGTERM/SIGINT. */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { createLogger } from '../util/log.js';
import { defaultConfig, defaultDataDir } from '../server/config.js';
import { SkiffServer } from '../server/skiff-server.js';
import { BootstrapTokenError } from '../server/bootstrap-secrets.js';
import { helpText, leaderElectionFlags, leaderElectionTimings, parseDuration, parseFlags, podGcFlags, podGcSettings, hpaFlags, hpaSettings, UsageError, type HpaSettings, type FlagSpec, type LeaderElectionTimings, type PodGcSettings } from './flags.js';

export const serverFlags: FlagSpec[] = [
  { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'Folder for the store, certificates and kubeconfig', default: defaultDataDir() },
  { name: 'https-listen-port', type: 'string', metavar: 'N', help: 'HTTPS port of the API server', default: '6443' },
  { name: 'bind-address', type: 'string', metavar: 'IP', help: 'Address the API server listens on', default: '127.0.0.1' },
  { name: 'advertise-address', type: 'string', metavar: 'IP', help: 'Address published as the kubernetes Service endpoint, also listened on (default: the node IP when a real local node runs, else the bind address)' },
  { name: 'endpoint-reconciler-ttl', type: 'string', metavar: 'D', help: 'TTL of this server\'s lease among the kubernetes (and kube-dns) Service endpoints: a server gone without a clean stop leaves them after it', default: '15s' },
  { name: 'write-kubeconfig', type: 'string', metavar: 'FILE', help: 'Also write the admin kubeconfig to FILE' },
  { name: 'authorization-mode', type: 'string', metavar: 'MODES', help: "kube-apiserver's authorizers, comma-separated: Node,RBAC (the default; RBAC with node rules) or AlwaysAllow (any authenticated user may do anything)", default: 'Node,RBAC' },
  { name: 'token', type: 'string', metavar: 'T', help: 'Shared secret: agents and other servers join with it (also a bearer token for the API)' },
  { name: 'tls-san', type: 'string', metavar: 'NAME', multiple: true, help: 'Extra host name or IP for the serving certificate (repeatable)' },
  { name: 'disable-agent', type: 'boolean', help: 'Do not run the local node agent' },
  { name: 'container-runtime-endpoint', type: 'string', metavar: 'SOCKET', help: 'CRI socket of an existing containerd (default: run our own with config in the data dir)' },
  { name: 'node-name', type: 'string', metavar: 'NAME', help: 'Name of the local node (default: the host name)' },
  { name: 'node-ip', type: 'string', metavar: 'IP', help: 'InternalIP of the local node (default: the first non-loopback IPv4 address)' },
  { name: 'default-local-storage-path', type: 'string', metavar: 'DIR', help: 'Where the local-path provisioner puts volumes on every node (default: <data-dir>/storage)' },
  { name: 'disable-kube-proxy', type: 'boolean', help: 'Do not run the service proxy (nftables rules for Services) with the local node' },
  { name: 'cluster-cidr', type: 'string', metavar: 'CIDR', help: 'Pod network', default: '10.42.0.0/16' },
  { name: 'service-cidr', type: 'string', metavar: 'CIDR', help: 'Service ClusterIP network', default: '10.43.0.0/16' },
  { name: 'service-node-port-range', type: 'string', metavar: 'MIN-MAX', help: 'Port range for NodePort services', default: '30000-32767' },
  { name: 'cluster-dns', type: 'string', metavar: 'IP', help: 'Cluster DNS service IP', default: '10.43.0.10' },
  { name: 'cluster-domain', type: 'string', metavar: 'DOMAIN', help: 'Cluster domain', default: 'cluster.local' },
  { name: 'dns-listen', type: 'string', metavar: 'HOST:PORT', help: 'Where the cluster DNS server listens (empty: no cluster DNS)', default: '127.0.0.1:10053' },
  { name: 'resolv-conf', type: 'string', metavar: 'FILE', help: 'Resolvers for names outside the cluster', default: '/etc/resolv.conf' },
  { name: 'datastore-endpoint', type: 'string', metavar: 'URLS', help: 'etcd endpoints (http://127.0.0.1:2379[,...]) instead of the embedded SQLite store' },
  { name: 'datastore-cafile', type: 'string', metavar: 'FILE', help: 'CA certificate for etcd TLS' },
  { name: 'datastore-certfile', type: 'string', metavar: 'FILE', help: 'Client certificate for etcd TLS' },
  { name: 'datastore-keyfile', type: 'string', metavar: 'FILE', help: 'Client key for etcd TLS' },
  { name: 'datastore', type: 'string', metavar: 'KIND', help: 'Embedded store: sqlite or memory (memory loses everything on exit)', default: 'sqlite' },
  { name: 'simulated-nodes', type: 'string', metavar: 'N', help: 'Run N simulated (hollow) nodes in this process: pods on them run no containers', default: '0' },
  { name: 'simulated-node-capacity', type: 'string', metavar: 'LIST', help: 'Capacity of each simulated node', default: 'cpu=4,memory=16Gi,pods=110' },
  { name: 'simulated-start-delay', type: 'string', metavar: 'MS', help: 'Milliseconds a simulated container takes to start', default: '0' },
  { name: 'disable-controllers', type: 'boolean', help: 'Run only the API server (no controllers, scheduler or agents)' },
  { name: 'disable-controller-manager', type: 'boolean', help: 'Do not run the controller manager (run `skiff controller-manager` instead)' },
  { name: 'disable-scheduler', type: 'boolean', help: 'Do not run the scheduler (run `skiff scheduler` instead)' },
  { name: 'scheduler-config', type: 'string', metavar: 'FILE', help: 'KubeSchedulerConfiguration (YAML) for the scheduler: profiles, plugins, weights' },
  ...leaderElectionFlags,
  ...podGcFlags,
  ...hpaFlags,
  { name: 'metric-resolution', type: 'string', metavar: 'D', help: "How often node agents are scraped for the Resource Metrics API (metrics.k8s.io; metrics-server's --metric-resolution)", default: '15s' },
  { name: 'log-level', type: 'string', metavar: 'LEVEL', help: 'debug, info, warn or error', default: 'info' },
];

export async function runServer(argv: string[]): Promise<number> {
  let f: Record<string, any>;
  let leaderElection: LeaderElectionTimings;
  let podGc: PodGcSettings;
  let endpointTtlMs: number;
  let metricResolutionMs: number;
  let hpa: HpaSettings;
  try {
    f = parseFlags(serverFlags, argv);
    leaderElection = leaderElectionTimings(f);
    podGc = podGcSettings(f);
    hpa = hpaSettings(f);
    metricResolutionMs = parseDuration(f['metric-resolution']);
    if (metricResolutionMs < 100) throw new UsageError('--metric-resolution must be at least 100ms');
    endpointTtlMs = parseDuration(f['endpoint-reconciler-ttl']);
    if (endpointTtlMs < 1000) throw new UsageError('--endpoint-reconciler-ttl must be at least 1s (Lease objects count whole seconds)');
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`Error: ${err.message}\nRun 'skiff server --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (f.help) {
    process.stdout.write(helpText('Usage: skiff server [flags]\n\nRuns a whole Kubernetes cluster control plane (API server on an embedded store).', serverFlags));
    return 0;
  }
  const port = Number(f['https-listen-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`Error: invalid --https-listen-port ${JSON.stringify(f['https-listen-port'])}\n`);
    return 2;
  }
  if (f.datastore !== 'sqlite' && f.datastore !== 'memory') {
    process.stderr.write(`Error: --datastore must be sqlite or memory\n`);
    return 2;
  }
  const modes = String(f['authorization-mode']).split(',').map((m) => m.trim()).filter(Boolean);
  const badMode = modes.find((m) => !['Node', 'RBAC', 'AlwaysAllow'].includes(m));
  if (badMode || !modes.length) {
    process.stderr.write(`Error: --authorization-mode: unknown authorization mode ${JSON.stringify(badMode ?? '')} (supported: Node, RBAC, AlwaysAllow)\n`);
    return 2;
  }
  const sim = Number(f['simulated-nodes']);
  const capacity: Record<string, string> = { cpu: '4', memory: '16Gi', pods: '110' };
  for (const kv of String(f['simulated-node-capacity']).split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (!['cpu', 'memory', 'pods'].includes(k) || !v) {
      process.stderr.write(`Error: --simulated-node-capacity takes cpu=N,memory=Q,pods=N (got ${JSON.stringify(kv)})\n`);
      return 2;
    }
    capacity[k] = v;
  }
  if (!Number.isInteger(sim) || sim < 0 || sim > 10000) {
    process.stderr.write(`Error: --simulated-nodes must be a whole number from 0 to 10000\n`);
    return 2;
  }
  let schedulerConfig: any;
  if (f['scheduler-config']) {
    try {
      schedulerConfig = yaml.load(readFileSync(f['scheduler-config'], 'utf8'));
    } catch (err) {
      process.stderr.write(`Error: --scheduler-config: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const log = createLogger({ level: f['log-level'] });
  const server = new SkiffServer(
    defaultConfig({
      dataDir: f['data-dir'],
      httpsListenPort: port,
      bindAddress: f['bind-address'],
      advertiseAddress: f['advertise-address'],
      writeKubeconfig: f['write-kubeconfig'],
      token: f.token,
      authorizationMode: modes.includes('RBAC') || modes.includes('Node') ? 'RBAC' : 'AlwaysAllow',
      tlsSan: f['tls-san'] ?? [],
      disableAgent: f['disable-agent'],
      containerRuntimeEndpoint: f['container-runtime-endpoint'],
      nodeName: f['node-name'],
      nodeIP: f['node-ip'],
      defaultLocalStoragePath: f['default-local-storage-path'],
      clusterCidr: f['cluster-cidr'],
      disableKubeProxy: f['disable-kube-proxy'],
      serviceCidr: f['service-cidr'],
      serviceNodePortRange: f['service-node-port-range'],
      clusterDns: f['cluster-dns'],
      clusterDomain: f['cluster-domain'],
      dnsListen: f['dns-listen'],
      resolvConf: f['resolv-conf'],
      datastore: f.datastore,
      datastoreEndpoint: f['datastore-endpoint'],
      datastoreTls: { caFile: f['datastore-cafile'], certFile: f['datastore-certfile'], keyFile: f['datastore-keyfile'] },
      simulatedNodes: sim,
      simulatedNodeCapacity: capacity as { cpu: string; memory: string; pods: string },
      simulatedStartDelayMs: Number(f['simulated-start-delay']) || 0,
      disableControllers: f['disable-controllers'],
      disableControllerManager: f['disable-controller-manager'],
      disableScheduler: f['disable-scheduler'],
      schedulerConfig,
      leaderElection,
      podGc,
      hpa,
      metricResolutionMs,
      endpointReconcilerTtlMs: endpointTtlMs,
    }),
    log,
  );
  let info;
  try {
    info = await server.start();
  } catch (err) {
    await server.stop().catch(() => {});
    if (err instanceof BootstrapTokenError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write(`skiff is running. Use it with:\n  export KUBECONFIG=${info.kubeconfigPath}\n  kubectl get namespaces\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info('shutting down', { signal: sig });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await server.stop();
  return 0;
}
