/**
 * The configuration of one `skiff server`, with k3s's defaults. The CLI fills it from
 * flags; tests and benchmarks build it directly.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ServerConfig {
  dataDir: string;
  httpsListenPort: number;
  bindAddress: string;
  /**
   * k3s's --advertise-address: the address published as the `kubernetes` Service's
   * endpoint (and in discovery). Default: the local real node's IP when one runs (the API
   * then also listens there), else the bind address (127.0.0.1 for 0.0.0.0).
   */
  advertiseAddress?: string;
  writeKubeconfig?: string;
  token?: string;
  /** 'RBAC' (default: kube-apiserver's Node,RBAC) or 'AlwaysAllow'. */
  authorizationMode?: 'RBAC' | 'AlwaysAllow';
  disableAgent: boolean;
  /** The local node agent: an existing CRI socket (else skiff runs its own containerd), node name and IP. */
  containerRuntimeEndpoint?: string;
  nodeName?: string;
  nodeIP?: string;
  clusterCidr: string;
  serviceCidr: string;
  /** k3s's --disable-kube-proxy: the local real node runs no service proxy. */
  disableKubeProxy?: boolean;
  /** NodePorts come from this range (MIN-MAX). */
  serviceNodePortRange: string;
  clusterDns: string;
  clusterDomain: string;
  /** Where the cluster DNS server listens (host:port); empty: no cluster DNS. */
  dnsListen: string;
  /** Upstream resolvers for names outside the cluster (kubelet's --resolv-conf). */
  resolvConf: string;
  /** 'sqlite' (default, in the data dir) or 'memory' (tests); an endpoint selects etcd. */
  datastore: 'sqlite' | 'memory';
  /** k3s's --datastore-endpoint: http(s)://host:2379[,...] for an etcd cluster. */
  datastoreEndpoint?: string;
  datastoreTls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Extra DNS names / IPs for the serving certificate (k3s --tls-san). */
  tlsSan: string[];
  /** Hollow nodes run in this process (no containers). */
  simulatedNodes: number;
  simulatedNodeCapacity: { cpu: string; memory: string; pods: string };
  /** How long a simulated container takes to start. */
  simulatedStartDelayMs: number;
  /** Run no controllers, scheduler or agents in this process (API server only). */
  disableControllers: boolean;
  /** k3s's --disable-controller-manager / --disable-scheduler: leave that role to another process. */
  disableControllerManager: boolean;
  disableScheduler: boolean;
  /** A parsed KubeSchedulerConfiguration (--scheduler-config FILE). */
  schedulerConfig?: any;
  /**
   * TTL of this server's endpoint leases (the `kubernetes` and `kube-dns` endpoints list
   * every server whose lease is live; upstream's fixed 15 s), renewed every 2/3 of it.
   */
  endpointReconcilerTtlMs?: number;
  /**
   * The pod garbage collector: kube-controller-manager's --terminated-pod-gc-threshold
   * (12500), and how often it runs and how long a node must be missing before its pods
   * count as orphaned (upstream's fixed 20 s and 40 s).
   */
  /** k3s's --default-local-storage-path: where local-path volumes live on every node (default <data dir>/storage). */
  defaultLocalStoragePath?: string;
  podGc?: { terminatedPodGcThreshold?: number; periodMs?: number; quarantineMs?: number };
  /** How often the API server scrapes node agents for metrics.k8s.io (metrics-server's --metric-resolution, 15 s). */
  metricResolutionMs?: number;
  /** The HorizontalPodAutoscaler controller's kube-controller-manager settings (upstream's defaults when absent). */
  hpa?: { syncPeriodMs?: number; downscaleStabilizationMs?: number; tolerance?: number; cpuInitializationPeriodMs?: number; initialReadinessDelayMs?: number };
  /** Leader election of the controller manager and scheduler (default 15 s / 10 s / 2 s). */
  leaderElection?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
}

export function defaultDataDir(): string {
  return process.getuid && process.getuid() === 0 ? '/var/lib/skiff' : join(homedir(), '.skiff');
}

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    dataDir: defaultDataDir(),
    httpsListenPort: 6443,
    bindAddress: '127.0.0.1',
    disableAgent: false,
    clusterCidr: '10.42.0.0/16',
    serviceCidr: '10.43.0.0/16',
    serviceNodePortRange: '30000-32767',
    clusterDns: '10.43.0.10',
    clusterDomain: 'cluster.local',
    dnsListen: '127.0.0.1:10053',
    resolvConf: '/etc/resolv.conf',
    datastore: 'sqlite',
    tlsSan: [],
    simulatedNodes: 0,
    simulatedNodeCapacity: { cpu: '4', memory: '16Gi', pods: '110' },
    simulatedStartDelayMs: 0,
    disableControllers: false,
    disableControllerManager: false,
    disableScheduler: false,
    ...overrides,
  };
}

/** First usable address of a CIDR (the `kubernetes` Service's ClusterIP, 10.43.0.1 by default). */
export function firstIp(cidr: string): string {
  const [ip] = cidr.split('/');
  const parts = ip.split('.').map(Number);
  parts[3] += 1;
  return parts.join('.');
}
