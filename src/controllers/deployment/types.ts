/**
 * The slices of apps/v1 Deployment and ReplicaSet the deployment controller reads and
 * writes, the names of the annotations and condition reasons it shares with kubectl
 * (pkg/controller/deployment/util), and the dependencies a sync needs (clients, listers,
 * event recorder, clock) so tests can run syncDeployment over fakes.
 */
import type { ResourceClient } from '../../client/resource.js';
import type { LabelSelector } from '../../client/selector.js';
import type { Logger } from '../../util/log.js';

/** intstr.IntOrString: a count (3) or a percentage of the desired replicas ("25%"). */
export type IntOrString = number | string;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [k: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
}

export type DeploymentStrategy =
  | { type: 'RollingUpdate'; rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } }
  | { type: 'Recreate'; rollingUpdate?: undefined };

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface Deployment {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    selector?: LabelSelector;
    template: PodTemplateSpec;
    strategy?: DeploymentStrategy;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

export interface ReplicaSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: LabelSelector;
    template?: PodTemplateSpec;
  };
  status?: {
    replicas?: number;
    fullyLabeledReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
    conditions?: DeploymentCondition[];
  };
}

/** A Deployment after apps/v1 defaulting: the fields the controller reads are all set. */
export type DefaultedDeployment = Deployment & {
  spec: Deployment['spec'] & { replicas: number; strategy: DeploymentStrategy; revisionHistoryLimit: number; progressDeadlineSeconds: number; minReadySeconds: number };
  status: DeploymentStatus;
};

// Label and annotations shared with kubectl (rollout history / undo / status).
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
/** Upstream caps revision-history at this many characters. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

// Condition types and reasons (deploymentutil).
export const COND_AVAILABLE = 'Available';
export const COND_PROGRESSING = 'Progressing';
export const COND_REPLICA_FAILURE = 'ReplicaFailure';
export const REASON_MIN_AVAILABLE = 'MinimumReplicasAvailable';
export const REASON_MIN_UNAVAILABLE = 'MinimumReplicasUnavailable';
export const REASON_NEW_RS_CREATED = 'NewReplicaSetCreated';
export const REASON_FOUND_NEW_RS = 'FoundNewReplicaSet';
export const REASON_RS_UPDATED = 'ReplicaSetUpdated';
export const REASON_NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const REASON_TIMED_OUT = 'ProgressDeadlineExceeded';
export const REASON_PAUSED = 'DeploymentPaused';
export const REASON_RESUMED = 'DeploymentResumed';
export const REASON_FAILED_RS_CREATE = 'ReplicaSetCreateError';

export interface EventSink {
  event(obj: any, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** What syncDeployment needs from the world. */
export interface DeploymentSyncDeps {
  deployments: ResourceClient<any>;
  replicasets: ResourceClient<any>;
  /** Every ReplicaSet of a namespace, from the informer cache (read-only). */
  listReplicaSets(namespace: string): ReplicaSet[];
  /** Pods of a namespace matching a selector, from the informer cache (read-only). */
  listPods(namespace: string, selector: LabelSelector): any[];
  recorder: EventSink;
  now(): number;
  log: Logger;
}

/**
 * One sync of one Deployment: `d` is a private, defaulted deep copy that the sync
 * mutates (status, annotations) as upstream does with its DeepCopy; `raw` is the cached
 * object it came from. `requeueAfterMs` is set by the progress check.
 */
export interface SyncCtx {
  deps: DeploymentSyncDeps;
  d: DefaultedDeployment;
  raw: Deployment;
  /**
   * The ReplicaSets this Deployment owns, kept current within the sync: each write
   * replaces its entry with the server's answer, so a later step never writes from a
   * stale copy (upstream re-reads the cache and pays with a conflict and a retry).
   */
  rsList: ReplicaSet[];
  requeueAfterMs?: number;
}
