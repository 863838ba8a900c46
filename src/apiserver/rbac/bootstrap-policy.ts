/**
 * The default RBAC policy every cluster starts with (upstream's bootstrappolicy): the
 * user-facing cluster-admin, admin, edit and view (the last three filled by aggregation
 * from system:aggregate-to-*), the discovery and self-review roles every authenticated
 * user holds, and their bindings. All carry kubernetes.io/bootstrapping=rbac-defaults and
 * rbac.authorization.kubernetes.io/autoupdate=true.
 */
import type { PolicyRule } from './rules.js';

export const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

const rule = (verbs: string[], groups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups: groups, resources });
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = [...READ, ...WRITE];

export interface BootstrapClusterRole {
  name: string;
  labels?: Record<string, string>;
  rules?: PolicyRule[];
  /** Label selectors (matchLabels) of the ClusterRoles aggregated into this one. */
  aggregateFrom?: Record<string, string>;
}

export interface BootstrapBinding {
  name: string;
  role: string;
  subjects: { kind: 'Group' | 'User'; name: string }[];
}

/**
 * What a node (group system:nodes) may do, after upstream's system:node role. skiff grants
 * these to system:nodes directly, as a simple stand-in for the Node authorizer (which
 * further limits a node to its own pods' objects).
 */
export const NODE_RULES: PolicyRule[] = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [''], ['services', 'nodes', 'pods', 'secrets', 'configmaps', 'endpoints']),
  rule(['create', 'delete', 'patch', 'update'], [''], ['nodes', 'nodes/status']),
  rule(['create', 'patch', 'update'], [''], ['events']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
];

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
  rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
];

const ADMIN_RULES: PolicyRule[] = [rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']), rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles'])];

export const BOOTSTRAP_CLUSTER_ROLES: BootstrapClusterRole[] = [
  { name: 'cluster-admin', labels: {}, rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  { name: 'admin', aggregateFrom: { [`${AGG}admin`]: 'true' } },
  { name: 'edit', labels: { [`${AGG}admin`]: 'true' }, aggregateFrom: { [`${AGG}edit`]: 'true' } },
  { name: 'view', labels: { [`${AGG}edit`]: 'true' }, aggregateFrom: { [`${AGG}view`]: 'true' } },
  { name: 'system:aggregate-to-admin', labels: { [`${AGG}admin`]: 'true' }, rules: ADMIN_RULES },
  { name: 'system:aggregate-to-edit', labels: { [`${AGG}edit`]: 'true' }, rules: EDIT_RULES },
  { name: 'system:aggregate-to-view', labels: { [`${AGG}view`]: 'true' }, rules: VIEW_RULES },
  // metrics-server's (k3s ships it): read access to metrics.k8s.io for view, edit and admin.
  { name: 'system:aggregated-metrics-reader', labels: { [`${AGG}admin`]: 'true', [`${AGG}edit`]: 'true', [`${AGG}view`]: 'true' }, rules: [rule(READ, ['metrics.k8s.io'], ['pods', 'nodes'])] },
  { name: 'system:discovery', rules: [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])] },
  { name: 'system:basic-user', rules: [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])] },
  { name: 'system:public-info-viewer', rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] },
  { name: 'system:service-account-issuer-discovery', rules: [urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])] },
  { name: 'system:node', rules: NODE_RULES },
  // For an external (out-of-tree) persistent volume provisioner's ServiceAccount to bind to.
  {
    name: 'system:persistent-volume-provisioner',
    rules: [
      rule(['get', 'list', 'watch', 'create', 'delete'], [''], ['persistentvolumes']),
      rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
      rule(READ, ['storage.k8s.io'], ['storageclasses']),
      rule(['watch'], [''], ['events']),
      rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
    ],
  },
];

const group = (name: string) => ({ kind: 'Group' as const, name });

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: BootstrapBinding[] = [
  { name: 'cluster-admin', role: 'cluster-admin', subjects: [group('system:masters')] },
  { name: 'system:basic-user', role: 'system:basic-user', subjects: [group('system:authenticated')] },
  { name: 'system:discovery', role: 'system:discovery', subjects: [group('system:authenticated')] },
  { name: 'system:public-info-viewer', role: 'system:public-info-viewer', subjects: [group('system:authenticated'), group('system:unauthenticated')] },
  { name: 'system:service-account-issuer-discovery', role: 'system:service-account-issuer-discovery', subjects: [group('system:serviceaccounts')] },
];
