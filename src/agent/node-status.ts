/**
 * The Node object an agent registers and keeps current, and its heartbeat Lease in
 * kube-node-lease, as the kubelet does: the Lease is renewed every 10 s (the node
 * lifecycle controller reads it), the Node status is re-posted when it changes and at
 * least every 5 minutes.
 */
import type { Clientset } from '../client/clientset.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/rest.js';
import { KUBE_MINOR, SKIFF_VERSION } from '../apiserver/version.js';

export interface NodeIdentity {
  name: string;
  hostIP: string;
  capacity: { cpu: string; memory: string; pods: string; 'ephemeral-storage'?: string };
  labels?: Record<string, string>;
  taints?: any[];
  runtimeVersion: string;
  kernelVersion?: string;
  osImage?: string;
  /** The host's /etc/machine-id, DMI product UUID and boot id, as the kubelet reports them. */
  machineID?: string;
  systemUUID?: string;
  bootID?: string;
  /** Port of the agent's streaming endpoint (kubelet: 10250). */
  kubeletPort?: number;
}

export const LEASE_DURATION_S = 40;
export const LEASE_RENEW_MS = 10_000;

const microTime = (d: Date) => d.toISOString().replace(/Z$/, '000Z');
const time = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export function nodeConditions(now: Date, prev?: any[]): any[] {
  const t = time(now);
  const mk = (type: string, status: string, reason: string, message: string) => {
    const old = prev?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : t };
  };
  return [
    mk('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    mk('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    mk('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    mk('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function nodeObject(id: NodeIdentity, now: Date): any {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': id.name,
        'kubernetes.io/os': 'linux',
        ...id.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: id.taints?.length ? { taints: id.taints } : {},
    status: nodeStatus(id, now),
  };
}

export function nodeStatus(id: NodeIdentity, now: Date, prevConditions?: any[]): any {
  const cap = { 'ephemeral-storage': '100Gi', ...id.capacity };
  return {
    capacity: cap,
    allocatable: cap,
    conditions: nodeConditions(now, prevConditions),
    addresses: [
      { type: 'InternalIP', address: id.hostIP },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort ?? 10250 } },
    nodeInfo: {
      machineID: id.machineID ?? '',
      systemUUID: id.systemUUID ?? '',
      bootID: id.bootID ?? '',
      kernelVersion: id.kernelVersion ?? '',
      osImage: id.osImage ?? 'skiff',
      containerRuntimeVersion: id.runtimeVersion,
      kubeletVersion: `v1.${KUBE_MINOR}.0+skiff-${SKIFF_VERSION}`,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** Creates the Node if missing (keeping its spec if it exists) and posts a fresh status. */
export async function registerNode(cs: Clientset, id: NodeIdentity, now: Date): Promise<any> {
  const nodes = cs.resource('nodes');
  let node: any;
  try {
    node = await nodes.create(nodeObject(id, now));
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    node = await nodes.get(undefined, id.name);
  }
  return nodes.patch(undefined, id.name, 'merge', { status: nodeStatus(id, now, node.status?.conditions) }, { subresource: 'status' });
}

/** Renews (creating if needed) the node's Lease in kube-node-lease. */
export async function renewLease(cs: Clientset, node: { name: string; uid?: string }, now: Date): Promise<void> {
  const leases = cs.resource('leases');
  const spec = { holderIdentity: node.name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime(now) };
  try {
    await leases.patch('kube-node-lease', node.name, 'merge', { spec });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await leases.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: node.name, namespace: 'kube-node-lease', ownerReferences: node.uid ? [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }] : undefined },
        spec,
      });
    } catch (e) {
      if (!isAlreadyExists(e) && !isConflict(e)) throw e;
    }
  }
}
