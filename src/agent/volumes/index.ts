export { writeAtomic, validatePayloadPath, type FileProjection } from './atomic-writer.js';
export { checkHostPath } from './host-path.js';
export { setUpPodVolumes, updatePodVolumes, tearDownPodVolumes, cleanupOrphanedPodDirs, podDir, VolumeSetupError, type VolumeContext, type VolumeDir } from './pod-volumes.js';
export { containerMounts, etcHostsMount, terminationLogMount, readTerminationMessage, managedHostsContent, podHostname, MountError } from './container-mounts.js';
