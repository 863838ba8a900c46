/**
 * How a component process finds the API: a kubeconfig (`--kubeconfig`), or k3s-style
 * `--server URL --token T`, where the cluster CA is fetched from the server's /cacerts
 * (as k3s agents do) and the token is the bearer credential. Several servers
 * (`--server URL1,URL2` or the flag repeated) make the client fail over between them;
 * with a kubeconfig they replace its server.
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

/** The CA from the first server that answers. */
async function fetchCaFromAny(servers: string[]): Promise<string> {
  const errs: string[] = [];
  for (const s of servers) {
    try {
      return await fetchCa(s);
    } catch (err) {
      errs.push(`${s}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no server gave its CA (${errs.join('; ')})`);
}

/** `--server` values: repeated, comma-separated, or both. */
export function serverList(flag: string | string[] | undefined): string[] {
  const all = (Array.isArray(flag) ? flag : flag ? [flag] : []).flatMap((s) => s.split(','));
  return all.map((s) => s.trim()).filter(Boolean);
}

export interface ClientFlags {
  kubeconfig?: string;
  server?: string | string[];
  token?: string;
}

export async function restFromFlags(f: ClientFlags, userAgent: string, onFailover?: (from: string, to: string, err: unknown) => void): Promise<RestClient> {
  const servers = serverList(f.server);
  for (const s of servers) {
    if (!/^https:\/\//.test(s)) throw new Error(`--server must be an https:// URL (got ${JSON.stringify(s)})`);
  }
  let creds: Credentials;
  if (f.kubeconfig) {
    creds = credentialsFromKubeconfig(f.kubeconfig);
    if (servers.length) creds = { ...creds, server: servers[0], servers };
  } else if (servers.length && f.token) creds = { server: servers[0], servers, caPem: await fetchCaFromAny(servers), token: f.token };
  else throw new Error('either --kubeconfig, or --server and --token, are required');
  return new RestClient(creds, { maxSockets: 64, userAgent, onFailover });
}
