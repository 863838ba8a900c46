/** The `cri` runtime: CRI v1 to containerd, the containerd it runs, its images and pod network. */
export { CriRuntime, type CriRuntimeOptions } from './runtime.js';
export { connectCri, CriError, type CriClient } from './client.js';
export { startContainerd, containerdPaths, waitForCri, PAUSE_IMAGE, type StartedContainerd } from './containerd.js';
export { writeCniConfig, CNI_BRIDGE } from './cni.js';
export { ensureBuiltinImages, importArchive, listImageNames, busyboxRootfs, BUSYBOX_IMAGE } from './images.js';
export { ociArchive, buildImage, tar } from './oci-archive.js';
