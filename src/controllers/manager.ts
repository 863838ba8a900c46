/**
 * The controller manager: starts every controller over one clientset and one shared
 * informer factory (as kube-controller-manager does) and stops them with the signal.
 */
import type { Clientset, InformerFactory } from '../client/clientset.js';
import type { Logger } from '../util/log.js';
import { NodeIpamController } from './nodeipam/controller.js';
import { ReplicaSetController } from './replicaset/controller.js';
import { DeploymentController } from './deployment/controller.js';
import { GarbageCollector } from './garbagecollector/controller.js';
import { NamespaceController } from './namespace/controller.js';
import { DaemonSetController } from './daemonset/controller.js';
import { StatefulSetController } from './statefulset/controller.js';
import { JobController } from './job/controller.js';
import { CronJobController } from './cronjob/controller.js';
import { EndpointSliceController } from './endpointslice/controller.js';
import { EndpointsController } from './endpoints/controller.js';
import { ServiceLbController } from './servicelb/controller.js';
import { ServiceAccountController } from './serviceaccount/controller.js';
import { RootCaCertPublisher } from './rootcacert/controller.js';
import { TokensController } from './serviceaccounttoken/controller.js';
import { PodGcController, type PodGcOptions } from './podgc/controller.js';
import { HorizontalPodAutoscalerController, type HpaOptions } from './horizontalpodautoscaler/index.js';
import { DisruptionController } from './disruption/controller.js';
import { ClusterRoleAggregationController } from './clusterroleaggregation/controller.js';
import { PersistentVolumeController, type PersistentVolumeOptions } from './persistentvolume/controller.js';
import { ResourceQuotaController } from './resourcequota/controller.js';

export interface ControllerManagerOptions {
  cs: Clientset;
  informers: InformerFactory;
  log: Logger;
  clusterCidr: string;
  /** The cluster CA bundle published as kube-root-ca.crt (kube-controller-manager's --root-ca-file). */
  rootCaPem: string;
  /** The service-account signing key (kube-controller-manager's --service-account-private-key-file); without it no legacy token Secrets are filled. */
  serviceAccountKeyPem?: string;
  /** The pod garbage collector's --terminated-pod-gc-threshold, period and quarantine (upstream's defaults when absent). */
  podGc?: Partial<PodGcOptions>;
  /** The local-path provisioner's storage directory and which nodes are in this process. */
  storage?: PersistentVolumeOptions;
  /** The HorizontalPodAutoscaler controller's sync period, stabilization window, tolerance (upstream's defaults when absent). */
  hpa?: Partial<HpaOptions>;
}

export function startControllerManager(o: ControllerManagerOptions, signal: AbortSignal): Promise<unknown> {
  const ctx = { cs: o.cs, informers: o.informers, log: o.log };
  const controllers: { name: string; start: (s: AbortSignal) => Promise<void> }[] = [
    { name: NodeIpamController.NAME, start: (s) => new NodeIpamController(ctx, o.clusterCidr).start(s) },
    { name: ReplicaSetController.NAME, start: (s) => new ReplicaSetController(ctx).start(s) },
    { name: DeploymentController.NAME, start: (s) => new DeploymentController(ctx).start(s) },
    { name: GarbageCollector.NAME, start: (s) => new GarbageCollector(ctx).start(s) },
    { name: NamespaceController.NAME, start: (s) => new NamespaceController(ctx).start(s) },
    { name: DaemonSetController.NAME, start: (s) => new DaemonSetController(ctx).start(s) },
    { name: StatefulSetController.NAME, start: (s) => new StatefulSetController(ctx).start(s) },
    { name: JobController.NAME, start: (s) => new JobController(ctx).start(s) },
    { name: CronJobController.NAME, start: (s) => new CronJobController(ctx).start(s) },
    { name: EndpointSliceController.NAME, start: (s) => new EndpointSliceController(ctx).start(s) },
    { name: EndpointsController.NAME, start: (s) => new EndpointsController(ctx).start(s) },
    { name: ServiceLbController.NAME, start: (s) => new ServiceLbController(ctx).start(s) },
    { name: ServiceAccountController.NAME, start: (s) => new ServiceAccountController(ctx).start(s) },
    { name: DisruptionController.NAME, start: (s) => new DisruptionController(ctx).start(s) },
    { name: RootCaCertPublisher.NAME, start: (s) => new RootCaCertPublisher(ctx, o.rootCaPem).start(s) },
    ...(o.serviceAccountKeyPem ? [{ name: TokensController.NAME, start: (s: AbortSignal) => new TokensController(ctx, o.serviceAccountKeyPem!, o.rootCaPem).start(s) }] : []),
    { name: PodGcController.NAME, start: (s) => new PodGcController(ctx, o.podGc).start(s) },
    { name: PersistentVolumeController.NAME, start: (s) => new PersistentVolumeController(ctx, o.storage).start(s) },
    { name: HorizontalPodAutoscalerController.NAME, start: (s) => new HorizontalPodAutoscalerController(ctx, o.hpa).start(s) },
    { name: ResourceQuotaController.NAME, start: (s) => new ResourceQuotaController(ctx).start(s) },
    { name: ClusterRoleAggregationController.NAME, start: (s) => new ClusterRoleAggregationController(ctx).start(s) },
  ];
  o.informers.start(signal);
  return Promise.all(
    controllers.map((c) =>
      c.start(signal).catch((err) => {
        if (!signal.aborted) o.log.error('controller stopped', { controller: c.name, err });
      }),
    ),
  );
}
