/**
 * httpGet probes and hooks, as the kubelet's HTTP prober: a GET from the node to
 * host:port/path (host defaults to the pod IP), scheme HTTP or HTTPS without
 * certificate verification, the probe's httpHeaders (a `Host` header sets the Host),
 * User-Agent `kube-probe/<major>.<minor>` and `Accept: *\/*` unless given. A status in
 * 200..399 is success; redirects are followed up to 10 times while they stay on the same
 * host (a redirect elsewhere counts as success, as upstream's checkRedirect stops there).
 * A connection error or timeout is a failure whose output is Go's error text.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KUBE_MINOR } from '../../apiserver/version.js';
import { joinHostPort } from './ports.js';
import type { ProbeOutcome } from './types.js';

export interface HttpGetSpec {
  host: string;
  port: number;
  path?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

const MAX_REDIRECTS = 10;

/** The URL upstream builds (formatURL): scheme://host:port/path. */
export function probeUrl(s: HttpGetSpec): URL {
  let path = s.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  return new URL(`${(s.scheme ?? 'HTTP').toLowerCase()}://${joinHostPort(s.host, s.port)}${path}`);
}

function headersOf(s: HttpGetSpec): Record<string, string> {
  const h: Record<string, string> = {};
  for (const { name, value } of s.httpHeaders ?? []) h[name.toLowerCase()] = value;
  h['user-agent'] ??= `kube-probe/1.${KUBE_MINOR}`;
  h['accept'] ??= '*/*';
  return h;
}

/** Go's net error text for a failed dial, so event messages read as upstream's. */
export function dialError(err: NodeJS.ErrnoException, hostPort: string): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${hostPort}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${hostPort}: connect: no route to host`;
  if (err.code === 'ENETUNREACH') return `dial tcp ${hostPort}: connect: network is unreachable`;
  if (err.code === 'ECONNRESET') return `read tcp ${hostPort}: read: connection reset by peer`;
  return `dial tcp ${hostPort}: ${err.message}`;
}

function getOnce(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname + url.search, method: 'GET', headers, rejectUnauthorized: false, agent: false },
      (res) => {
        // Upstream reads at most 10 KiB of the body; only the status matters here, and a
        // streaming endpoint must not keep the connection open: drop it at once.
        res.destroy();
        resolve(res);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'PROBE_TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** One httpGet probe attempt. */
export async function probeHttp(s: HttpGetSpec, timeoutSeconds: number): Promise<ProbeOutcome> {
  let url = probeUrl(s);
  const headers = headersOf(s);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      res = await getOnce(url, headers, Math.max(1, deadline - Date.now()));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'PROBE_TIMEOUT') return { result: 'failure', output: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
      return { result: 'failure', output: `Get "${url.href}": ${dialError(e, url.host)}` };
    }
    const code = res.statusCode ?? 0;
    const location = res.headers.location;
    if (code >= 300 && code < 400 && location && hop < MAX_REDIRECTS) {
      const next = new URL(location, url);
      if (next.hostname === url.hostname) {
        url = next;
        continue;
      }
      return { result: 'success', output: `Probe terminated redirects, Response body: ` };
    }
    if (code >= 200 && code < 400) return { result: 'success', output: '' };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
  }
}
