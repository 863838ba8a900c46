/**
 * The node's pod network as a CNI conflist that containerd's CRI hands to the standard
 * plugins (Debian containernetworking-plugins): a bridge `skiff0` with the node's
 * podCIDR (host-local IPAM, the gateway on the bridge, hairpin on so a pod reaches
 * itself through a Service), portmap for hostPort, and loopback is set up by the CRI
 * itself. Masquerade only for traffic leaving the cluster networks, so pod-to-pod and
 * pod-to-service traffic keeps its source address; pod and service CIDRs are routed
 * here and never follow the default route off the machine.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CNI_BRIDGE = 'skiff0';
export const CNI_NETWORK = 'skiff';
export const CNI_CONF_FILE = '10-skiff.conflist';

export interface CniOptions {
  confDir: string;
  podCidr: string;
  /** Whole cluster pod network (never masqueraded). */
  clusterCidr?: string;
  serviceCidr?: string;
  ipamDataDir: string;
}

/** The first usable address of a CIDR: the pods' gateway on the bridge. */
export function gatewayOf(cidr: string): string {
  const [ip] = cidr.split('/');
  const n = ip.split('.').reduce((a, b) => a * 256 + Number(b), 0) + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function cniConflist(o: CniOptions): any {
  return {
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: CNI_BRIDGE,
        isGateway: true,
        // The bridge plugin's ipMasq would masquerade pod-to-service traffic too; the
        // service proxy masquerades only what needs it.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.podCidr, gateway: gatewayOf(o.podCidr) }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** Writes the conflist; returns true if it changed (containerd rereads the conf dir on its own). */
export function writeCniConfig(o: CniOptions): boolean {
  mkdirSync(o.confDir, { recursive: true });
  mkdirSync(o.ipamDataDir, { recursive: true });
  const file = join(o.confDir, CNI_CONF_FILE);
  const text = JSON.stringify(cniConflist(o), null, 2) + '\n';
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  writeFileSync(file, text);
  return true;
}
