/**
 * The kubelet-managed /etc/hosts of a pod: localhost entries, the pod's own IP with its
 * hostname (and FQDN when it has a subdomain), then spec.hostAliases. Written once the
 * sandbox has its IP and bind-mounted into every container of the pod. Host-network
 * pods keep the node's own file.
 */
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function etcHostsContent(pod: any, podIP: string, clusterDomain = 'cluster.local'): string {
  const spec = pod.spec ?? {};
  const hostname = (spec.hostname ?? pod.metadata.name).slice(0, 63);
  let out =
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  if (podIP) out += spec.subdomain ? `${podIP}\t${hostname}.${spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}\n` : `${podIP}\t${hostname}\n`;
  const aliases = spec.hostAliases ?? [];
  if (aliases.length) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) if (a.ip && a.hostnames?.length) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return out;
}

/** The pod's hosts file if it has one (written, and not a host-network pod). */
export function etcHostsPath(podsDir: string, pod: any): string | undefined {
  const file = join(podsDir, pod.metadata.uid, 'etc-hosts');
  return !pod.spec?.hostNetwork && existsSync(file) ? file : undefined;
}

/** Removes the pod's hosts file (and its folder once nothing else is in it). */
export function removeEtcHosts(podsDir: string, uid: string): void {
  rmSync(join(podsDir, uid, 'etc-hosts'), { force: true });
  try {
    rmdirSync(join(podsDir, uid));
  } catch {
    // not empty (volumes) or gone
  }
}

/** Writes <podsDir>/<uid>/etc-hosts; returns its path (undefined for host-network pods). */
export function writeEtcHosts(podsDir: string, pod: any, podIP: string, clusterDomain?: string): string | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const dir = join(podsDir, pod.metadata.uid);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'etc-hosts');
  writeFileSync(file, etcHostsContent(pod, podIP, clusterDomain));
  return file;
}
