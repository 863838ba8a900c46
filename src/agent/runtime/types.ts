/**
 * The container runtime seen by the agent, shaped after CRI v1 (RunPodSandbox,
 * CreateContainer, StartContainer, StopContainer, ...). Implementations: `simulated`
 * (hollow nodes: no processes, like kwok) and, with the node agent milestone, `cri`
 * (containerd over gRPC).
 */

export interface SandboxConfig {
  podUid: string;
  namespace: string;
  name: string;
  /** Pod IP chosen by the runtime's networking (simulated: from the node's podCIDR). */
  hostNetwork: boolean;
  /** The pod's hostname (spec.hostname or the pod name). */
  hostname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** hostPort mappings of the pod's containers (CNI portmap). */
  portMappings?: { protocol: 'TCP' | 'UDP' | 'SCTP'; containerPort: number; hostPort: number; hostIP?: string }[];
  /** Directory under which container logs go (CRI: <dir>/<container>/<restartCount>.log). */
  logDirectory?: string;
  /** resolv.conf of the pod (cluster DNS, search list, options). */
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  /** Cgroup parent of the pod (QoS class tiers). */
  cgroupParent?: string;
  /** Namespaces shared with the node (hostPID, hostIPC) or among the pod's containers (shareProcessNamespace). */
  hostPID?: boolean;
  hostIPC?: boolean;
  shareProcessNamespace?: boolean;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly?: boolean;
}

/** What a container's resources become in its cgroup (CRI LinuxContainerResources). */
export interface LinuxResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
  oomScoreAdj?: number;
}

export interface ContainerConfig {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** Fully resolved environment (env, envFrom, valueFrom already applied by the agent). */
  env?: { name: string; value: string }[];
  /** Volumes already materialised on the host by the agent. */
  mounts?: Mount[];
  resources?: LinuxResources;
  /** The container's requests (a limit without a request requests the limit): the simulated runtime's usage figures. */
  requests?: { milliCpu?: number; memoryBytes?: number };
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Told what happens to the image (already present, pulling, pulled): the kubelet's Pulling/Pulled events. */
  onImage?: (e: ImageEvent) => void;
  /** Registry credentials from imagePullSecrets, for pulls. */
  pullAuth?: { server: string; username?: string; password?: string; auth?: string }[];
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  /** Which restart of this container this is (CRI attempt; names the log file). */
  restartCount?: number;
  /** Annotations of the pod: the simulated runtime reads its behaviour knobs here. */
  podAnnotations: Record<string, string>;
  /** The container's securityContext (merged over the pod's) as the runtime applies it. */
  securityContext?: {
    privileged?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    supplementalGroups?: number[];
    allowPrivilegeEscalation?: boolean;
  };
}

/** What a runtime did to have a container's image: found it, started pulling, pulled it (ms taken, bytes). */
export type ImageEvent = { kind: 'present' } | { kind: 'pulling' } | { kind: 'pulled'; pullMs: number; totalMs: number; size?: number };

/** A failed image pull (the pod shows ErrImagePull, then ImagePullBackOff). */
export class ImagePullError extends Error {
  constructor(message: string, readonly reason: 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName' = 'ErrImagePull') {
    super(message);
  }
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** A streaming session (CRI Exec / Attach / PortForward) the runtime serves at a URL. */
export type StreamRequest =
  | { kind: 'exec'; containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
  | { kind: 'attach'; containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
  | { kind: 'portforward'; sandboxId: string; ports: number[] };

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  name: string;
  state: ContainerState;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  reason?: string;
  image: string;
  imageId: string;
  /** Host path of the container's log file (CRI log format), if it has one. */
  logPath?: string;
  /** The restart attempt this container instance is (from its creation config). */
  restartCount?: number;
}

/** A container's resource usage sample (CRI ContainerStats: cpu and memory). */
export interface ContainerStats {
  timestampMs?: number;
  cpuUsageNanoCores?: number;
  /** Cumulative cpu time, in core-nanoseconds (the counter rates are computed from). */
  cpuUsageCoreNanoSeconds?: number;
  memoryWorkingSetBytes?: number;
}

export interface SandboxStatus {
  id: string;
  podUid: string;
  ip: string;
  ready: boolean;
}

export interface Runtime {
  readonly name: string;
  runPodSandbox(cfg: SandboxConfig): Promise<SandboxStatus>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stops with a grace period (SIGTERM, then SIGKILL after timeoutSeconds). */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(sandboxId?: string): Promise<ContainerStatus[]>;
  listSandboxes(): Promise<SandboxStatus[]>;
  /** Whether a sandbox is still ready (its pause process alive); a dead one is re-created with its containers. */
  podSandboxReady?(id: string): Promise<boolean>;
  /** Called when a container changes state by itself (exits), so the agent reacts at once instead of polling. */
  onContainerEvent(cb: (c: ContainerStatus) => void): void;
  /** Runs a command in a running container and waits (CRI ExecSync): exec probes and hooks. */
  execSync?(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  /** The URL where the runtime serves a streaming session (CRI Exec/Attach/PortForward). */
  streamingUrl?(req: StreamRequest): Promise<string>;
  /** Container cpu/memory usage (CRI ContainerStats); timestampMs is when the sample was taken. */
  containerStats?(id: string): Promise<ContainerStats>;
  close(): Promise<void>;
}
