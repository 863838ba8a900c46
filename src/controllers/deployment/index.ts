/** The Deployment controller's public surface. */
export { DeploymentController, type ControllerContext } from './controller.js';
export { syncDeployment, selectsEverything } from './sync.js';
export * from './types.js';
export { resolveFenceposts, scaledValue, maxSurge, maxUnavailable, minAvailable, newRSNewReplicas, withDefaults, InvalidIntOrPercentError } from './util.js';
export { computeHash, safeEncodeString, equalIgnoreHash, findNewReplicaSet, findOldReplicaSets, maxRevision, setNewReplicaSetAnnotations, SAFE_ALPHANUMS } from './revision.js';
export { planScale, replicaSetProportion, isScalingEvent } from './scale.js';
export { newReplicaSetTarget, maxScaledDown, planCleanupUnhealthy, planScaleDownOld } from './rolling.js';
export { oldPodsRunning } from './recreate.js';
export { selectReplicaSetsToCleanup } from './history.js';
export { calculateStatus } from './status.js';
export { rolloutStatus, progressCheckDelayMs, deploymentComplete, deploymentTimedOut } from './progress.js';
