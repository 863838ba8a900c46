/**
 * OpenAPI schemas of the built-in kinds, derived from the field table in descriptors.ts
 * (every field a real manifest can carry, so unknown-field validation is exact), with
 * Kubernetes' extensions for strategic merge patch (x-kubernetes-patch-*) and server-side
 * apply (x-kubernetes-list-type/-map-keys), and descriptions for `kubectl explain`.
 */
import { MESSAGES } from './descriptors.js';
import type { Registry } from './registry.js';
import type { JSONSchema } from './types.js';
import { DESCRIPTIONS } from './schema-descriptions.js';

/** Definition name upstream uses for a message: io.k8s.api.apps.v1.Deployment, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta. */
export function definitionName(message: string): string {
  if (message.startsWith('meta.v1.')) return `io.k8s.apimachinery.pkg.apis.${message}`;
  if (message.startsWith('runtime.')) return `io.k8s.apimachinery.pkg.${message}`;
  return `io.k8s.api.${message}`;
}

/** Merge keys and list types of Kubernetes' well-known list fields ("Message.field"). */
const LISTS: Record<string, { mergeKey?: string; strategy?: string; listType?: 'map' | 'set' | 'atomic'; mapKeys?: string[] }> = {
  'core.v1.PodSpec.containers': { mergeKey: 'name', strategy: 'merge', listType: 'map', mapKeys: ['name'] },
  'core.v1.PodSpec.initContainers': { mergeKey: 'name', strategy: 'merge', listType: 'map', mapKeys: ['name'] },
  'core.v1.PodSpec.ephemeralContainers': { mergeKey: 'name', strategy: 'merge', listType: 'map', mapKeys: ['name'] },
  'core.v1.PodSpec.volumes': { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', mapKeys: ['name'] },
  'core.v1.PodSpec.imagePullSecrets': { mergeKey: 'name', strategy: 'merge', listType: 'map', mapKeys: ['name'] },
  'core.v1.PodSpec.hostAliases': { mergeKey: 'ip', strategy: 'merge', listType: 'map', mapKeys: ['ip'] },
  'core.v1.PodSpec.topologySpreadConstraints': { mergeKey: 'topologyKey', strategy: 'merge', listType: 'map', mapKeys: ['topologyKey', 'whenUnsatisfiable'] },
  'core.v1.PodSpec.tolerations': { listType: 'atomic' },
  'core.v1.PodSpec.readinessGates': { listType: 'atomic' },
  'core.v1.Container.ports': { mergeKey: 'containerPort', strategy: 'merge', listType: 'map', mapKeys: ['containerPort', 'protocol'] },
  'core.v1.Container.env': { mergeKey: 'name', strategy: 'merge', listType: 'map', mapKeys: ['name'] },
  'core.v1.Container.volumeMounts': { mergeKey: 'mountPath', strategy: 'merge', listType: 'map', mapKeys: ['mountPath'] },
  'core.v1.Container.volumeDevices': { mergeKey: 'devicePath', strategy: 'merge', listType: 'map', mapKeys: ['devicePath'] },
  'core.v1.Container.command': { listType: 'atomic' },
  'core.v1.Container.args': { listType: 'atomic' },
  'core.v1.ServiceSpec.ports': { mergeKey: 'port', strategy: 'merge', listType: 'map', mapKeys: ['port', 'protocol'] },
  'core.v1.PodStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'core.v1.NodeStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'core.v1.NodeStatus.addresses': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'core.v1.NodeSpec.taints': { listType: 'atomic' },
  'core.v1.NamespaceStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'autoscaling.v2.HorizontalPodAutoscalerStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'autoscaling.v2.HorizontalPodAutoscalerSpec.metrics': { listType: 'atomic' },
  'autoscaling.v2.HorizontalPodAutoscalerStatus.currentMetrics': { listType: 'atomic' },
  'autoscaling.v2.HPAScalingRules.policies': { listType: 'atomic' },
  'apps.v1.DeploymentStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'apps.v1.ReplicaSetStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'apps.v1.StatefulSetStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'apps.v1.DaemonSetStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'batch.v1.JobStatus.conditions': { listType: 'atomic' },
  'policy.v1.PodDisruptionBudgetStatus.conditions': { mergeKey: 'type', strategy: 'merge', listType: 'map', mapKeys: ['type'] },
  'meta.v1.ObjectMeta.ownerReferences': { mergeKey: 'uid', strategy: 'merge', listType: 'map', mapKeys: ['uid'] },
  'meta.v1.ObjectMeta.finalizers': { strategy: 'merge', listType: 'set' },
  'meta.v1.ObjectMeta.managedFields': { listType: 'atomic' },
};

function fieldSchema(type: string): JSONSchema {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'int32':
    case 'uint32':
      return { type: 'integer', format: 'int32' };
    case 'int64':
    case 'uint64':
      return { type: 'integer', format: 'int64' };
    case 'bool':
      return { type: 'boolean' };
    case 'double':
    case 'float':
      return { type: 'number', format: 'double' };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'microtime':
      return { type: 'string', format: 'date-time' };
    case 'quantity':
      return { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' };
    case 'intorstring':
      return { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' };
    case 'raw':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'rawjson':
      return { type: 'object' , 'x-kubernetes-preserve-unknown-fields': true };
    case 'duration':
      return { type: 'string' };
  }
  if (type.startsWith('map:')) return { type: 'object', additionalProperties: fieldSchema(type.slice(4)) };
  if (MESSAGES[type]) return { $ref: `#/components/schemas/${definitionName(type)}` };
  // A type this build does not describe: accept anything there.
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
}

function messageSchema(message: string): JSONSchema {
  const props: Record<string, JSONSchema> = {};
  const add = (m: string) => {
    for (const [name, type, flags = 0] of Object.values(MESSAGES[m] ?? {})) {
      if (flags & 2) {
        add(type);
        continue;
      }
      let s = fieldSchema(type);
      if (flags & 1) {
        s = { type: 'array', items: s };
        const l = LISTS[`${m}.${name}`];
        if (l?.mergeKey) s['x-kubernetes-patch-merge-key'] = l.mergeKey;
        if (l?.strategy) s['x-kubernetes-patch-strategy'] = l.strategy;
        if (l?.listType) s['x-kubernetes-list-type'] = l.listType;
        if (l?.mapKeys) s['x-kubernetes-list-map-keys'] = l.mapKeys;
      }
      const d = DESCRIPTIONS[`${m}.${name}`];
      props[name] = d ? { ...s, description: d } : s;
    }
  };
  add(message);
  const out: JSONSchema = { type: 'object', properties: props };
  const d = DESCRIPTIONS[message];
  if (d) out.description = d;
  return out;
}

/** Defines every message's schema, and for each kind its apiVersion/kind and group-version-kind. */
export function registerSchemas(reg: Registry): void {
  reg.define('io.k8s.apimachinery.pkg.api.resource.Quantity', { type: 'string', description: DESCRIPTIONS.Quantity, format: 'quantity' } as JSONSchema);
  reg.define('io.k8s.apimachinery.pkg.util.intstr.IntOrString', { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true, description: DESCRIPTIONS.IntOrString } as JSONSchema);
  for (const m of Object.keys(MESSAGES)) reg.define(definitionName(m), messageSchema(m));
  for (const def of reg.all()) {
    const msg = def.schemaName.replace(/^io\.k8s\.api\./, '');
    const s = reg.definitions.get(def.schemaName);
    if (!s || !MESSAGES[msg]) continue;
    s.properties = {
      apiVersion: { type: 'string', description: DESCRIPTIONS.apiVersion },
      kind: { type: 'string', description: DESCRIPTIONS.kind },
      ...s.properties,
    };
    if (s.properties.metadata) s.properties.metadata = { ...s.properties.metadata, description: DESCRIPTIONS.metadata };
    s['x-kubernetes-group-version-kind'] = [{ group: def.group, version: def.version, kind: def.kind }];
  }
}
