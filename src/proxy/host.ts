/**
 * Node settings the proxy needs: the service CIDR routed as local addresses (so a VIP
 * packet with no rule yet is answered here, never sent along the default route), and IP
 * forwarding for pod traffic DNAT-ed to other pods.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What is missing for the real proxy (root, nft, ip), or undefined when it can run. */
export function proxyPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'the service proxy needs root (nftables)';
  const onPath = (bin: string) => (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => existsSync(`${d}/${bin}`));
  if (!onPath('nft')) return 'the service proxy needs nft (apt-get install nftables)';
  if (!onPath('ip')) return 'the service proxy needs ip (apt-get install iproute2)';
  return undefined;
}

export async function prepareHost(serviceCidr: string): Promise<void> {
  await run('ip', ['route', 'replace', 'local', serviceCidr, 'dev', 'lo', 'table', 'local']);
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
}
