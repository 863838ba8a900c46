/**
 * How a component process finds the API: a kubeconfig (`--kubeconfig`), or k3s-style
 * `--server URL --token T`, where the cluster CA is fetched from the server's /cacerts
 * (as k3s agents do) and the token is the bearer credential.
 */
import { request } from 'node:https';
import { credentialsFromKubeconfig, RestClient, type Credentials } from '../client/rest.js';

function fetchCa(server: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL('/cacerts', server);
    // The CA is what we are fetching: it cannot be verified yet (k3s trusts it the same way,
    // or checks it against a hash in a K10 token).
    const req = request({ host: u.hostname, port: u.port || 443, path: u.pathname, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 && body.includes('BEGIN CERTIFICATE') ? resolve(body) : reject(new Error(`GET ${u} answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function restFromFlags(f: { kubeconfig?: string; server?: string; token?: string }, userAgent: string): Promise<RestClient> {
  let creds: Credentials;
  if (f.kubeconfig) creds = credentialsFromKubeconfig(f.kubeconfig);
  else if (f.server && f.token) creds = { server: f.server, caPem: await fetchCa(f.server), token: f.token };
  else throw new Error('either --kubeconfig, or --server and --token, are required');
  return new RestClient(creds, { maxSockets: 64, userAgent });
}
