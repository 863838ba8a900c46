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
}

export interface ContainerConfig {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  /** Annotations of the pod: the simulated runtime reads its behaviour knobs here. */
  podAnnotations: Record<string, string>;
}

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
  /** Called when a container changes state by itself (exits), so the agent reacts at once instead of polling. */
  onContainerEvent(cb: (c: ContainerStatus) => void): void;
  close(): Promise<void>;
}
