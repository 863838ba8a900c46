/**
 * The admin kubeconfig skiff writes once the server is ready (k3s writes
 * /etc/rancher/k3s/k3s.yaml the same way): cluster "skiff" with the CA, user "admin"
 * with the admin client certificate, context "skiff" selected.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyCert } from './certs.js';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  client: KeyCert;
  name?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function renderKubeconfig(o: KubeconfigOptions): string {
  const name = o.name ?? 'skiff';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(o.caPem)}`,
    `    server: ${o.server}`,
    `  name: ${name}`,
    'contexts:',
    '- context:',
    `    cluster: ${name}`,
    '    user: admin',
    `  name: ${name}`,
    `current-context: ${name}`,
    'preferences: {}',
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64(o.client.certPem)}`,
    `    client-key-data: ${b64(o.client.keyPem)}`,
    '',
  ].join('\n');
}

/** Writes atomically (temp file + rename), mode 0600: it holds the admin key. */
export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, renderKubeconfig(o), { mode: 0o600 });
  renameSync(tmp, path);
}
