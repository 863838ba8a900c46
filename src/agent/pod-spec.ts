/**
 * From a Pod's spec to what the runtime is asked for, as the kubelet's
 * kuberuntime_sandbox / kuberuntime_container do: the sandbox (hostname, hostPort
 * mappings, resolv.conf from dnsPolicy, log directory, QoS cgroup parent) and each
 * container (command/args/workingDir, tty/stdin, pull policy, cgroup limits from
 * resources, the attempt number). Env from valueFrom/envFrom and volumes are filled in
 * by the agent's env and volume code; here only literal `value` env entries are passed.
 */
import { join } from 'node:path';
import { qosClass } from '../api/builtin/pod-validation.js';
import { parseQuantity } from '../scheduler/framework/resources.js';
import type { ContainerConfig, LinuxResources, SandboxConfig } from './runtime/types.js';

export interface PodSpecOptions {
  /** Where pod log directories go (kubelet: /var/log/pods). */
  podLogRoot?: string;
  /** Per-pod files of the agent, <podsDir>/<uid>/ (kubelet: /var/lib/kubelet/pods). */
  podsDir?: string;
  /** Cluster DNS server addresses (dnsPolicy ClusterFirst). */
  clusterDns?: string[];
  clusterDomain?: string;
  /** Node memory capacity in bytes (Burstable pods' oom_score_adj). */
  memoryCapacity?: number;
}

/** kubelet's cpu constants: shares per CPU, the minimum shares, the CFS period and minimum quota. */
const SHARES_PER_CPU = 1024;
const MIN_SHARES = 2;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1000;

/** resolv.conf of the pod from its dnsPolicy and dnsConfig (undefined: the node's own). */
export function podDnsConfig(pod: any, o: PodSpecOptions): SandboxConfig['dnsConfig'] {
  const spec = pod.spec ?? {};
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const domain = o.clusterDomain ?? 'cluster.local';
  let cfg: { servers: string[]; searches: string[]; options: string[] } | undefined;
  // A hostNetwork pod with ClusterFirst uses the node's resolv.conf (ClusterFirstWithHostNet opts in).
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !spec.hostNetwork);
  if (cluster && o.clusterDns?.length) {
    const ns = pod.metadata?.namespace ?? 'default';
    cfg = { servers: [...o.clusterDns], searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain], options: ['ndots:5'] };
  } else if (policy === 'None') {
    cfg = { servers: [], searches: [], options: [] };
  }
  const extra = spec.dnsConfig;
  if (extra) {
    cfg ??= { servers: [], searches: [], options: [] };
    for (const s of extra.nameservers ?? []) if (!cfg.servers.includes(s)) cfg.servers.push(s);
    for (const s of extra.searches ?? []) if (!cfg.searches.includes(s)) cfg.searches.push(s);
    for (const opt of extra.options ?? []) {
      const text = opt.value !== undefined ? `${opt.name}:${opt.value}` : opt.name;
      cfg.options = cfg.options.filter((x) => x.split(':')[0] !== opt.name);
      cfg.options.push(text);
    }
  }
  return cfg;
}

/** The QoS tier's cgroup parent of a pod, after the kubelet's cgroupfs layout. */
export function podCgroupParent(pod: any): string {
  const qos = pod.status?.qosClass ?? qosClass(pod.spec ?? {});
  const uid = pod.metadata.uid;
  if (qos === 'Guaranteed') return `/kubepods/pod${uid}`;
  return `/kubepods/${qos === 'Burstable' ? 'burstable' : 'besteffort'}/pod${uid}`;
}

export function sandboxConfigFor(pod: any, o: PodSpecOptions): SandboxConfig {
  const m = pod.metadata;
  const spec = pod.spec ?? {};
  const portMappings: NonNullable<SandboxConfig['portMappings']> = [];
  for (const c of spec.containers ?? [])
    for (const p of c.ports ?? []) if (p.hostPort) portMappings.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIP: p.hostIP });
  return {
    podUid: m.uid,
    namespace: m.namespace,
    name: m.name,
    hostNetwork: !!spec.hostNetwork,
    hostname: spec.hostNetwork ? undefined : (spec.hostname ?? m.name).slice(0, 63),
    labels: { ...m.labels },
    annotations: { ...m.annotations },
    portMappings,
    logDirectory: o.podLogRoot ? join(o.podLogRoot, `${m.namespace}_${m.name}_${m.uid}`) : undefined,
    dnsConfig: podDnsConfig(pod, o),
    cgroupParent: podCgroupParent(pod),
    hostPID: !!spec.hostPID,
    hostIPC: !!spec.hostIPC,
    shareProcessNamespace: !!spec.shareProcessNamespace,
  };
}

/** Container resources as cgroup settings (cpu shares from requests, CFS quota and memory from limits). */
export function linuxResources(pod: any, c: any, o: PodSpecOptions): LinuxResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const r: LinuxResources = {};
  // A limit without a request requests the limit (API defaulting).
  const cpuReq = req.cpu ?? lim.cpu;
  r.cpuShares = cpuReq !== undefined ? Math.max(MIN_SHARES, Math.floor((parseQuantity(cpuReq) * 1000 * SHARES_PER_CPU) / 1000)) : MIN_SHARES;
  if (lim.cpu !== undefined) {
    r.cpuPeriod = QUOTA_PERIOD;
    r.cpuQuota = Math.max(MIN_QUOTA, Math.floor((parseQuantity(lim.cpu) * 1000 * QUOTA_PERIOD) / 1000));
  }
  if (lim.memory !== undefined) r.memoryLimitBytes = Math.floor(parseQuantity(lim.memory));
  // oom_score_adj by QoS: Guaranteed -997, BestEffort 1000, Burstable by memory request share.
  const qos = pod.status?.qosClass ?? qosClass(pod.spec ?? {});
  if (qos === 'Guaranteed') r.oomScoreAdj = -997;
  else if (qos === 'BestEffort') r.oomScoreAdj = 1000;
  else {
    const memReq = parseQuantity(req.memory ?? lim.memory ?? 0);
    const cap = o.memoryCapacity ?? 16 * 1024 ** 3;
    r.oomScoreAdj = Math.min(999, Math.max(2, 1000 - Math.floor((1000 * memReq) / cap)));
  }
  return r;
}

/** The container's cpu/memory requests; a limit without a request requests the limit (API defaulting). */
function containerRequests(c: any): ContainerConfig['requests'] {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpu = req.cpu ?? lim.cpu;
  const mem = req.memory ?? lim.memory;
  return { ...(cpu !== undefined ? { milliCpu: Math.round(parseQuantity(cpu) * 1000) } : {}), ...(mem !== undefined ? { memoryBytes: Math.floor(parseQuantity(mem)) } : {}) };
}

/** The API's default pull policy when the pod does not say: Always for :latest or no tag. */
function pullPolicy(c: any): ContainerConfig['imagePullPolicy'] {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = String(c.image ?? '');
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function containerConfigFor(pod: any, c: any, restartCount: number, o: PodSpecOptions): ContainerConfig {
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: (c.env ?? []).filter((e: any) => e.valueFrom === undefined).map((e: any) => ({ name: e.name, value: e.value ?? '' })),
    resources: linuxResources(pod, c, o),
    requests: containerRequests(c),
    imagePullPolicy: pullPolicy(c),
    tty: !!c.tty,
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    restartCount,
    podAnnotations: pod.metadata.annotations ?? {},
    securityContext: securityContextFor(pod, c),
  };
}

/** The container's securityContext over the pod's (runAsUser, runAsGroup, supplementalGroups). */
function securityContextFor(pod: any, c: any): ContainerConfig['securityContext'] {
  const p = pod.spec?.securityContext ?? {};
  const s = c.securityContext ?? {};
  const out: NonNullable<ContainerConfig['securityContext']> = {
    privileged: s.privileged,
    runAsUser: s.runAsUser ?? p.runAsUser,
    runAsGroup: s.runAsGroup ?? p.runAsGroup,
    readOnlyRootFilesystem: s.readOnlyRootFilesystem,
    capabilities: s.capabilities,
    supplementalGroups: [...(p.supplementalGroups ?? []), ...(p.fsGroup !== undefined ? [p.fsGroup] : [])],
    allowPrivilegeEscalation: s.allowPrivilegeEscalation,
  };
  return out;
}
