/**
 * A container's mounts from its volumeMounts (the kubelet's makeMounts): subPath and
 * subPathExpr (expanded with the container's environment), readOnly; plus the
 * kubelet-managed /etc/hosts and the termination message file.
 * mountPropagation is not supported and ignored.
 */
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, posix } from 'node:path';
import type { Mount } from '../runtime/types.js';
import { expand, mappingFuncFor } from '../expansion.js';
import type { VolumeDir } from './pod-volumes.js';
import { podDir } from './pod-volumes.js';

export class MountError extends Error {}

/** Kubernetes' message for an unknown volume name in volumeMounts. */
const unknownVolume = (container: string, name: string) => `cannot find volume "${name}" to mount into container "${container}"`;

function checkSubPath(p: string): void {
  if (posix.isAbsolute(p)) throw new MountError(`error SubPath \`${p}\` must not be an absolute path`);
  if (p.split('/').includes('..')) throw new MountError(`unable to provision SubPath \`${p}\`: must not contain '..'`);
}

export async function containerMounts(container: any, volumes: Map<string, VolumeDir>, env: { name: string; value: string }[] = []): Promise<Mount[]> {
  const out: Mount[] = [];
  const mapping = mappingFuncFor(new Map(env.map((e) => [e.name, e.value])));
  for (const vm of container.volumeMounts ?? []) {
    const vol = volumes.get(vm.name);
    if (!vol) throw new MountError(unknownVolume(container.name, vm.name));
    let hostPath = vol.hostPath;
    const sub: string = vm.subPathExpr ? expand(vm.subPathExpr, mapping) : (vm.subPath ?? '');
    if (sub) {
      checkSubPath(sub);
      hostPath = join(vol.hostPath, sub);
      // The kubelet creates a missing subPath as a directory before the runtime would.
      const st = await stat(hostPath).catch(() => undefined);
      if (!st) await mkdir(hostPath, { recursive: true, mode: 0o750 });
    }
    out.push({ containerPath: vm.mountPath, hostPath, readOnly: !!vm.readOnly || vol.readOnly });
  }
  return out;
}

/** The pod's hostname and domain (GeneratePodHostNameAndDomain): at most 63 characters. */
export function podHostname(pod: any, clusterDomain = 'cluster.local'): { hostname: string; domain?: string } {
  let hostname: string = pod.spec?.hostname || pod.metadata.name;
  if (!pod.spec?.hostname && hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const domain = pod.spec?.subdomain ? `${pod.spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}` : undefined;
  return { hostname, domain };
}

function hostAliasesBlock(aliases: any[] | undefined): string {
  if (!aliases?.length) return '';
  return '\n# Entries added by HostAliases.\n' + aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('');
}

/** The kubelet-managed hosts file of a pod with its own network namespace. */
export function managedHostsContent(podIPs: string[], hostname: string, domain: string | undefined, aliases?: any[]): string {
  let s = '# Kubernetes-managed hosts file.\n';
  s += '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  for (const ip of podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + hostAliasesBlock(aliases);
}

/**
 * Writes <pod dir>/etc-hosts and returns its mount, or undefined when the kubelet would
 * not mount one (no pod IP yet off the host network, or the container mounts its own
 * /etc/hosts). Pods on the host network get the node's /etc/hosts plus their aliases.
 */
export async function etcHostsMount(opts: { rootDir: string; pod: any; container: any; podIPs: string[]; clusterDomain?: string; nodeHostsFile?: string }): Promise<Mount | undefined> {
  const { pod, container } = opts;
  if (!opts.podIPs.length && !pod.spec?.hostNetwork) return undefined;
  if ((container.volumeMounts ?? []).some((m: any) => posix.normalize(m.mountPath) === '/etc/hosts')) return undefined;
  const dir = podDir(opts.rootDir, pod.metadata.uid);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const file = join(dir, 'etc-hosts');
  let content: string;
  if (pod.spec?.hostNetwork) {
    const node = await readFile(opts.nodeHostsFile ?? '/etc/hosts', 'utf8').catch(() => '');
    content = '# Kubernetes-managed hosts file (host network).\n' + node + hostAliasesBlock(pod.spec?.hostAliases);
  } else {
    const { hostname, domain } = podHostname(pod, opts.clusterDomain);
    content = managedHostsContent(opts.podIPs, hostname, domain, pod.spec?.hostAliases);
  }
  await writeFile(file, content, { mode: 0o644 });
  return { containerPath: '/etc/hosts', hostPath: file, readOnly: false };
}

/**
 * A fresh, empty, world-writable file for the container's terminationMessagePath:
 * <pod dir>/containers/<name>/<8 hex digits>, one per container instance.
 */
export async function terminationLogMount(rootDir: string, pod: any, container: any): Promise<Mount | undefined> {
  if (!container.terminationMessagePath) return undefined;
  const dir = join(podDir(rootDir, pod.metadata.uid), 'containers', container.name);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const file = join(dir, randomBytes(4).toString('hex'));
  closeSync(openSync(file, 'w', 0o666));
  await chmod(file, 0o666);
  return { containerPath: container.terminationMessagePath, hostPath: file, readOnly: false };
}

/** The termination message a container left (at most 4096 bytes, as the kubelet reads). */
export async function readTerminationMessage(hostPath: string): Promise<string> {
  const buf = await readFile(hostPath).catch(() => Buffer.alloc(0));
  return buf.subarray(0, 4096).toString('utf8');
}
