/**
 * Serving certificates for node agents joining from other processes, as k3s hands them
 * out (/v1-k3s/serving-kubelet.crt): an agent that joined with the cluster token (or an
 * admin credential) asks for a certificate for its streaming endpoint, signed by the
 * cluster CA with subject CN=system:node:<name>, O=system:nodes. The API server trusts
 * exactly such certificates when it calls agents for logs, exec and port-forward.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRaw } from './body.js';
import { issueServingCert, type ClusterPki } from './certs.js';
import { ApiError, errors } from './errors.js';
import type { UserInfo } from './handler.js';

export { NODE_SERVING_CERT_PATH } from './node-cert-path.js';

export async function serveNodeServingCert(pki: ClusterPki, req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotSupported('serving-kubelet.crt', req.method ?? '');
  if (!user.groups.includes('system:masters')) throw new ApiError(403, 'Forbidden', `User "${user.name}" cannot get node serving certificates`);
  let body: any;
  try {
    body = JSON.parse((await readRaw(req)).toString());
  } catch {
    throw errors.badRequest('the body must be JSON: {"nodeName": ..., "ips": [...], "dns": [...]}');
  }
  const name = String(body?.nodeName ?? '');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw errors.badRequest(`invalid node name ${JSON.stringify(name)}`);
  const ips = (Array.isArray(body.ips) ? body.ips : []).map(String).filter((s: string) => /^[\d.]+$|^[\da-f:]+$/i.test(s));
  const dns = (Array.isArray(body.dns) ? body.dns : []).map(String).filter((s: string) => /^[a-z0-9.-]+$/i.test(s));
  const kc = await issueServingCert(pki.ca, `CN=system:node:${name}, O=system:nodes`, { dns: [name, ...dns], ips });
  const text = JSON.stringify({ certPem: kc.certPem, keyPem: kc.keyPem, caPem: pki.ca.certPem });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
