/** core/v1 kinds: Namespace, Pod, Service, ConfigMap, Secret, Event, Node, ServiceAccount, Endpoints (storage kinds are in storage.ts). */
import type { FieldError, ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { col, humanDuration, none } from './printing.js';
import { defaultPodSpec } from './defaults.js';
import { podReady, podRestarts, podStatusReason } from './pod-printer.js';
import { qosClass, validatePodSpec, validatePodUpdate } from './pod-validation.js';
import { dns1123Label, immutable, invalid, notSupported, required } from './validation.js';

const core = { group: '', version: 'v1' };

export const namespaces = kind({
  ...core,
  kind: 'Namespace',
  plural: 'namespaces',
  shortNames: ['ns'],
  namespaced: false,
  nameValidation: 'label',
  subresources: { status: true },
  columns: [col('Status', 'The status of the namespace')],
  cells: (o) => [o.status?.phase ?? 'Active'],
  prepareForCreate: (o) => {
    o.spec = { finalizers: ['kubernetes'], ...(o.spec ?? {}) };
    o.status = { phase: 'Active' };
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
    o.spec = { ...(o.spec ?? {}), finalizers: old.spec?.finalizers ?? [] };
  },
  defaults: (o) => {
    (o.metadata ??= {}).labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
  },
});

export const pods = kind({
  ...core,
  kind: 'Pod',
  plural: 'pods',
  shortNames: ['po'],
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  columns: [col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'), col('Status', 'The aggregate status of the containers in this pod.'), col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'), ],
  cells: (o, now) => [podReady(o), podStatusReason(o), podRestarts(o, now)],
  wide: [col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'), col('Node', 'Name of the Node the Pod is assigned to.'), col('Nominated Node', 'nominatedNodeName is set when this pod preempts other pods on the node.'), col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.')],
  wideCells: (o) => [none(o.status?.podIP), none(o.spec?.nodeName), none(o.status?.nominatedNodeName), o.spec?.readinessGates?.length ? `${(o.spec.readinessGates as any[]).filter((g) => (o.status?.conditions ?? []).some((c: any) => c.type === g.conditionType && c.status === 'True')).length}/${o.spec.readinessGates.length}` : '<none>'],
  defaults: (o) => defaultPodSpec((o.spec ??= {})),
  validate: (o, ctx) => (ctx.operation === 'update' ? validatePodUpdate(o, ctx.old) : ctx.operation === 'status' ? [] : validatePodSpec(o.spec, 'spec')),
  prepareForCreate: (o) => {
    o.status = { phase: 'Pending', qosClass: qosClass(o.spec) };
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
  selectableFields: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'status.phase': (o) => o.status?.phase,
    'status.podIP': (o) => o.status?.podIP,
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
  },
});

function servicePorts(o: any): string {
  const ports = o.spec?.ports ?? [];
  if (!ports.length) return '<none>';
  return ports.map((p: any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function externalIP(o: any): string {
  const type = o.spec?.type ?? 'ClusterIP';
  const ext: string[] = [...(o.spec?.externalIPs ?? [])];
  // printService collects ingress IPs (else hostnames) into a set: sorted, without duplicates.
  const lb: string[] = [...new Set<string>((o.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip || i.hostname).filter(Boolean))].sort();
  if (type === 'ExternalName') return o.spec?.externalName ?? '<none>';
  if (type === 'LoadBalancer') return [...lb, ...ext].join(',') || '<pending>';
  return ext.length ? ext.join(',') : '<none>';
}

function validateService(o: any, ctx: { old?: any; operation: string }): FieldError[] {
  const out: FieldError[] = [];
  const s = o.spec ?? {};
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (s.type && !types.includes(s.type)) out.push(notSupported('spec.type', s.type, types));
  const ports: any[] = s.ports ?? [];
  if (!ports.length && s.type !== 'ExternalName' && s.clusterIP !== 'None') out.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) out.push(required(`${f}.name`));
    if (p.name) {
      for (const m of dns1123Label(p.name)) out.push(invalid(`${f}.name`, p.name, m));
      if (names.has(p.name)) out.push({ type: 'FieldValueDuplicate', field: `${f}.name`, value: p.name, detail: '' });
      names.add(p.name);
    }
    if (!(p.port >= 1 && p.port <= 65535)) out.push(invalid(`${f}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (p.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) out.push(notSupported(`${f}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
  });
  if (ctx.old && ctx.operation === 'update' && ctx.old.spec?.clusterIP && s.clusterIP !== undefined && s.clusterIP !== ctx.old.spec.clusterIP && (ctx.old.spec.type ?? 'ClusterIP') !== 'ExternalName') out.push(immutable('spec.clusterIP', s.clusterIP));
  return out;
}

export const services = kind({
  ...core,
  kind: 'Service',
  plural: 'services',
  shortNames: ['svc'],
  categories: ['all'],
  namespaced: true,
  nameValidation: 'label',
  subresources: { status: true },
  columns: [col('Type', 'The type of service.'), col('Cluster-IP', 'The cluster IP of the service.'), col('External-IP', 'The external IP of the service.'), col('Port(s)', 'The ports of the service.')],
  cells: (o) => [o.spec?.type ?? 'ClusterIP', o.spec?.clusterIP || '<none>', externalIP(o), servicePorts(o)],
  wide: [col('Selector', 'The selector of the service.')],
  wideCells: (o) => [o.spec?.selector && Object.keys(o.spec.selector).length ? Object.entries(o.spec.selector).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'],
  defaults: (o) => {
    const s = (o.spec ??= {});
    s.type ??= 'ClusterIP';
    if (s.type !== 'ExternalName') {
      s.sessionAffinity ??= 'None';
      s.ipFamilyPolicy ??= 'SingleStack';
      s.ipFamilies ??= ['IPv4'];
      s.internalTrafficPolicy ??= 'Cluster';
      if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ??= 'Cluster';
    }
    for (const p of s.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },
  validate: validateService,
  prepareForCreate: (o) => {
    o.status = { loadBalancer: {} };
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
});

function dataCount(o: any): number {
  return Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length;
}

const KEY = /^[-._a-zA-Z0-9]+$/;
function validateData(o: any, ctx: { old?: any }, fields: string[]): FieldError[] {
  const out: FieldError[] = [];
  let size = 0;
  for (const f of fields)
    for (const [k, v] of Object.entries(o[f] ?? {})) {
      if (!KEY.test(k) || k.length > 253) out.push(invalid(`${f}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      size += k.length + String(v).length;
    }
  if (size > 1024 * 1024) out.push({ type: 'FieldValueTooLong', field: '', detail: 'must have at most 1048576 bytes' });
  if (ctx.old?.immutable === true) {
    if (JSON.stringify(fields.map((f) => o[f] ?? {})) !== JSON.stringify(fields.map((f) => ctx.old[f] ?? {}))) out.push({ type: 'FieldValueForbidden', field: fields[0], detail: 'field is immutable when `immutable` is set' });
    if (o.immutable !== true) out.push({ type: 'FieldValueForbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set' });
  }
  return out;
}

export const configmaps = kind({
  ...core,
  kind: 'ConfigMap',
  plural: 'configmaps',
  shortNames: ['cm'],
  namespaced: true,
  columns: [col('Data', 'Number of data in configmap', { type: 'integer' })],
  cells: (o) => [dataCount(o)],
  validate: (o, ctx) => validateData(o, ctx, ['data', 'binaryData']),
});

export const secrets = kind({
  ...core,
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  columns: [col('Type', 'The type of the secret'), col('Data', 'The number of entries in the secret', { type: 'integer' })],
  cells: (o) => [o.type ?? 'Opaque', Object.keys(o.data ?? {}).length],
  defaults: (o) => {
    o.type ??= 'Opaque';
    // stringData is write-only: merged into data (base64) on every write.
    if (o.stringData) {
      o.data = { ...(o.data ?? {}) };
      for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v)).toString('base64');
      delete o.stringData;
    }
  },
  validate: (o, ctx) => {
    const out = validateData(o, ctx, ['data']);
    for (const [k, v] of Object.entries(o.data ?? {})) if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) out.push(invalid(`data[${k}]`, '<secret contents redacted>', 'illegal base64 data'));
    if (ctx.old && ctx.old.type !== o.type) out.push(immutable('type', o.type));
    return out;
  },
});

function eventObject(o: any): string {
  const io = o.involvedObject ?? o.regarding ?? {};
  return `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`;
}

function lastSeen(o: any, now: Date): string {
  const t = o.lastTimestamp ?? o.series?.lastObservedTime ?? o.eventTime ?? o.metadata?.creationTimestamp;
  return t ? humanDuration(now.getTime() - Date.parse(t)) : '<unknown>';
}

/** An event's SOURCE column: "component, host" (kubectl's formatEventSource), empty without a component. */
export function eventSource(component: string | undefined, instance: string | undefined): string {
  if (!component) return '';
  return instance ? `${component}, ${instance}` : component;
}

export const events = kind({
  ...core,
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  nameValidation: 'path-segment',
  noAge: true,
  // Upstream's event columns: no leading NAME; the -o wide ones sit between the others.
  noName: true,
  columns: [
    col('Last Seen', 'The last time the event was seen.'),
    col('Type', 'The type of the event.'),
    col('Reason', 'The reason for the event.'),
    col('Object', 'The object the event is about.'),
    col('Subobject', 'The subobject', { priority: 1 }),
    col('Source', 'The source of the event', { priority: 1 }),
    col('Message', 'The message of the event.'),
    col('First Seen', 'The first time the event was seen', { priority: 1 }),
    col('Count', 'How many times the event was seen', { type: 'integer', priority: 1 }),
    col('Name', 'The name of the event', { format: 'name', priority: 1 }),
  ],
  cells: (o, now) => [
    lastSeen(o, now),
    o.type ?? '',
    o.reason ?? '',
    eventObject(o),
    o.involvedObject?.fieldPath ?? '',
    eventSource(o.source?.component || o.reportingComponent, o.source?.host || o.reportingInstance),
    String(o.message ?? '').trim(),
    o.firstTimestamp ? humanDuration(now.getTime() - Date.parse(o.firstTimestamp)) : '<unknown>',
    o.count ?? 1,
    o.metadata?.name,
  ],
  selectableFields: {
    'involvedObject.kind': (o) => o.involvedObject?.kind,
    'involvedObject.namespace': (o) => o.involvedObject?.namespace,
    'involvedObject.name': (o) => o.involvedObject?.name,
    'involvedObject.uid': (o) => o.involvedObject?.uid,
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
    reason: (o) => o.reason,
    reportingComponent: (o) => o.reportingComponent,
    source: (o) => o.source?.component,
    type: (o) => o.type,
  },
});

function nodeStatus(o: any): string {
  const ready = (o.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (o.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: any): string {
  const roles = Object.keys(o.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  if (o.metadata?.labels?.['kubernetes.io/role']) roles.push(o.metadata.labels['kubernetes.io/role']);
  // A set, as findNodeRoles: a role named by both label forms prints once.
  return roles.length ? [...new Set(roles)].sort().join(',') : '<none>';
}

export const nodes = kind({
  ...core,
  kind: 'Node',
  plural: 'nodes',
  shortNames: ['no'],
  namespaced: false,
  subresources: { status: true },
  columns: [col('Status', 'The status of the node'), col('Roles', 'The roles of the node')],
  cells: (o) => [nodeStatus(o), nodeRoles(o)],
  // kubectl prints VERSION after AGE by default; the rest only with -o wide.
  wideShownByDefault: 1,
  wide: [col('Version', 'Kubelet Version reported by the node.'), col('Internal-IP', 'List of addresses reachable to the node.'), col('External-IP', 'List of addresses reachable to the node.'), col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'), col('Kernel-Version', 'Kernel Version reported by the node from uname -r (e.g. 3.16.0-0.bpo.4-amd64).'), col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).')],
  wideCells: (o) => {
    const addr = (t: string) => (o.status?.addresses ?? []).find((a: any) => a.type === t)?.address ?? '<none>';
    const i = o.status?.nodeInfo ?? {};
    return [i.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), i.osImage || '<unknown>', i.kernelVersion || '<unknown>', i.containerRuntimeVersion || '<unknown>'];
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
  },
  selectableFields: { 'spec.unschedulable': (o) => String(!!o.spec?.unschedulable) },
});

export const serviceaccounts = kind({
  ...core,
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  shortNames: ['sa'],
  namespaced: true,
  columns: [col('Secrets', 'Secrets is the list of secrets allowed to be used by pods running using this ServiceAccount.', { type: 'integer' })],
  cells: (o) => [(o.secrets ?? []).length],
});

export const endpoints = kind({
  ...core,
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  listKind: 'EndpointsList',
  shortNames: ['ep'],
  namespaced: true,
  columns: [col('Endpoints', 'Endpoints is the list of endpoints in the object.')],
  cells: (o) => {
    const eps: string[] = [];
    for (const s of o.subsets ?? []) for (const a of s.addresses ?? []) for (const p of s.ports ?? [{}]) eps.push(p.port ? `${a.ip}:${p.port}` : a.ip);
    return [eps.length ? (eps.length > 3 ? `${eps.slice(0, 3).join(',')} + ${eps.length - 3} more...` : eps.join(',')) : '<none>'];
  },
});

export const coreKinds: ResourceDef[] = [namespaces, pods, services, configmaps, secrets, events, nodes, serviceaccounts, endpoints];
