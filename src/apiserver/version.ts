/** /version: the Kubernetes version skiff's API corresponds to (kubectl prints it). */
export const KUBE_MINOR = '32';
export const SKIFF_VERSION = '0.1.0';

export function versionInfo() {
  return {
    major: '1',
    minor: KUBE_MINOR,
    gitVersion: `v1.${KUBE_MINOR}.0+skiff-${SKIFF_VERSION}`,
    gitCommit: 'skiff',
    gitTreeState: 'clean',
    buildDate: '2026-11-22T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
