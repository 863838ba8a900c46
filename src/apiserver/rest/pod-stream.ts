/**
 * The streaming subresources of pods — log, exec, attach, portforward — as
 * kube-apiserver serves them: validate the request against the pod (container
 * defaulting and the upstream messages, PodLogOptions validation), find the pod's node
 * (address from Node.status.addresses, InternalIP first as k3s does; port from
 * daemonEndpoints.kubeletEndpoint), and proxy to the node agent's kubelet-style
 * endpoint. Logs are a plain HTTP response streamed through; exec, attach and
 * port-forward are protocol upgrades (websocket or SPDY) whose bytes are copied both
 * ways once the agent answers 101, so whatever protocol kubectl and the agent agree on
 * passes through unchanged.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { FieldError } from '../../api/types.js';
import { ApiError, errors } from '../errors.js';
import type { ServerServices } from './context.js';

/** How the API server reaches node agents: their CA and its client certificate. */
export interface KubeletClientConfig {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export type StreamSubresource = 'exec' | 'attach' | 'portforward';

/** Every container name of the pod in upstream's order: init, regular, ephemeral. */
function containerNames(pod: any): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c: any) => c.name);
}

/** The container a request is for: the named one, or the pod's only one (ValidateContainer). */
export function resolveContainer(pod: any, name: string | null | undefined): string {
  const name0 = name ?? '';
  if (!name0) {
    const cs = pod.spec?.containers ?? [];
    if (cs.length === 1) return cs[0].name;
    if (cs.length === 0) throw errors.badRequest(`pod ${pod.metadata.name} does not have a container`);
    throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containerNames(pod).join(' ')}]`);
  }
  if (!containerNames(pod).includes(name0)) throw errors.badRequest(`container ${name0} is not valid for pod ${pod.metadata.name}`);
  return name0;
}

/** Parses and validates PodLogOptions from the query (ValidatePodLogOptions); returns the agent's query. */
export function podLogQuery(q: URLSearchParams, podName: string): URLSearchParams {
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw errors.badRequest(`couldn't parse '${k}': strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  };
  const bool = (k: string): boolean => {
    const v = q.get(k);
    if (v === null || v === '') return false;
    if (!/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(v)) throw errors.badRequest(`couldn't parse '${k}': strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
    return /^(true|1|t|TRUE|True)$/.test(v);
  };
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  const sinceTimeText = q.get('sinceTime') || undefined;
  let sinceTime: Date | undefined;
  if (sinceTimeText !== undefined) {
    sinceTime = new Date(sinceTimeText);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTimeText) || Number.isNaN(sinceTime.getTime())) throw errors.badRequest(`couldn't parse 'sinceTime': parsing time ${JSON.stringify(sinceTimeText)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  }
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push({ type: 'FieldValueInvalid', field: 'tailLines', value: tailLines, detail: 'must be greater than or equal to 0' });
  if (limitBytes !== undefined && limitBytes < 1) errs.push({ type: 'FieldValueInvalid', field: 'limitBytes', value: limitBytes, detail: 'must be greater than 0' });
  if (sinceSeconds !== undefined && sinceTime !== undefined) errs.push({ type: 'FieldValueForbidden', field: '', detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  else if (sinceSeconds !== undefined && sinceSeconds < 1) errs.push({ type: 'FieldValueInvalid', field: 'sinceSeconds', value: sinceSeconds, detail: 'must be greater than 0' });
  const stream = q.get('stream');
  if (stream && stream !== 'All' && stream !== 'Stdout' && stream !== 'Stderr') errs.push({ type: 'FieldValueNotSupported', field: 'stream', value: stream, detail: 'supported values: "All", "Stderr", "Stdout"' });
  if (errs.length) throw errors.invalid('', 'PodLogOptions', podName, errs);
  const out = new URLSearchParams();
  if (bool('follow')) out.set('follow', 'true');
  if (bool('previous')) out.set('previous', 'true');
  if (bool('timestamps')) out.set('timestamps', 'true');
  if (tailLines !== undefined) out.set('tailLines', String(tailLines));
  if (limitBytes !== undefined) out.set('limitBytes', String(limitBytes));
  if (sinceSeconds !== undefined) out.set('sinceSeconds', String(sinceSeconds));
  if (sinceTime) out.set('sinceTime', sinceTime.toISOString());
  return out;
}

export interface NodeLocation {
  host: string;
  port: number;
}

/** Where a node's agent listens: InternalIP, ExternalIP, then Hostname (k3s's preference), at daemonEndpoints' port. */
export function nodeLocationOf(node: any): NodeLocation | undefined {
  const addrs: { type: string; address: string }[] = node.status?.addresses ?? [];
  const addr = ['InternalIP', 'ExternalIP', 'Hostname'].map((t) => addrs.find((a) => a.type === t)?.address).find(Boolean);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return addr && port ? { host: addr, port } : undefined;
}

export async function nodeLocation(s: ServerServices, nodeName: string): Promise<NodeLocation> {
  const def = s.registry.lookup('', 'v1', 'nodes')!;
  const loc = nodeLocationOf(await s.store.get(def, undefined, nodeName));
  if (!loc) throw errors.badRequest(`node ${nodeName} has no address or kubelet port`);
  return loc;
}

export function kubeletTlsOptions(k: KubeletClientConfig): Partial<RequestOptions> {
  return {
    ca: k.caPem,
    cert: k.certPem,
    key: k.keyPem,
    // Agents present a certificate from the cluster CA: either naming the address, or
    // issued to a node (O=system:nodes; hollow nodes share one).
    checkServerIdentity: (host: string, cert: PeerCertificate) => {
      const o = [cert.subject?.O ?? []].flat();
      if (o.includes('system:nodes')) return undefined;
      return checkServerIdentity(host, cert);
    },
  };
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

/** The API error for a non-success answer of the agent (its Status, or its text as the message). */
function agentError(code: number, body: string): ApiError {
  let message = body.trim();
  let reason: string | undefined;
  try {
    const st = JSON.parse(body);
    if (st?.kind === 'Status') {
      message = st.message ?? message;
      reason = st.reason;
    }
  } catch {
    /* plain text */
  }
  const reasons: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 503: 'ServiceUnavailable' };
  return new ApiError(code, reason ?? reasons[code] ?? 'InternalError', message);
}

const dialError = (err: Error, loc: NodeLocation, path: string) => errors.internal(new Error(`error dialing backend: ${err.message} (https://${loc.host}:${loc.port}${path.split('?')[0]})`));

/** GET pods/{name}/log: the container's log from its node, streamed as text/plain. */
export async function podLog(s: ServerServices, req: IncomingMessage, res: ServerResponse, pod: any, query: URLSearchParams, kubelet: KubeletClientConfig | undefined): Promise<void> {
  const agentQuery = podLogQuery(query, pod.metadata.name);
  const container = resolveContainer(pod, query.get('container'));
  if (!pod.spec?.nodeName) {
    // Not scheduled yet: like upstream, an empty log.
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return void res.end();
  }
  if (!kubelet) throw errors.badRequest('this server has no client configuration for node agents');
  const loc = await nodeLocation(s, pod.spec.nodeName);
  const path = `/containerLogs/${encodeURIComponent(pod.metadata.namespace)}/${encodeURIComponent(pod.metadata.name)}/${encodeURIComponent(container)}?${agentQuery}`;
  const agentRes = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = request({ host: loc.host, port: loc.port, path, method: 'GET', ...kubeletTlsOptions(kubelet) }, resolve);
    r.on('error', (err) => reject(dialError(err, loc, path)));
    res.on('close', () => r.destroy());
    r.end();
  });
  if (agentRes.statusCode !== 200) throw agentError(agentRes.statusCode ?? 500, await readBody(agentRes));
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  agentRes.on('data', (d) => res.write(d));
  await new Promise<void>((resolve) => {
    agentRes.once('end', resolve);
    agentRes.once('close', resolve);
    res.once('close', () => {
      agentRes.destroy();
      resolve();
    });
  });
  res.end();
}

/** Headers of an upgrade that the agent needs to see (the protocol negotiation). */
const FORWARDED = ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version', 'user-agent'];

/** Checks an exec/attach/portforward request and returns the agent path it goes to. */
export function streamPath(pod: any, sub: StreamSubresource, query: URLSearchParams): string {
  const name = pod.metadata.name;
  const ns = encodeURIComponent(pod.metadata.namespace);
  if (sub === 'portforward') {
    if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    const q = new URLSearchParams();
    for (const p of query.getAll('ports')) q.append('port', p);
    return `/portForward/${ns}/${encodeURIComponent(name)}${q.size ? `?${q}` : ''}`;
  }
  const container = resolveContainer(pod, query.get('container'));
  if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw errors.badRequest(`cannot ${sub} into a container in a completed pod; current phase is ${phase}`);
  if (sub === 'exec' && !query.getAll('command').length) throw errors.badRequest('you must specify at least 1 command');
  const q = new URLSearchParams();
  for (const k of ['stdin', 'stdout', 'stderr', 'tty']) if (query.get(k) !== null) q.set(k, query.get(k)!);
  for (const c of query.getAll('command')) q.append('command', c);
  return `/${sub}/${ns}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${q}`;
}

/** Proxies an upgrade request to the agent and, once it answers 101, copies bytes both ways. */
export async function proxyUpgrade(s: ServerServices, req: IncomingMessage, sock: Duplex, head: Buffer, pod: any, path: string, kubelet: KubeletClientConfig | undefined): Promise<void> {
  if (!kubelet) throw errors.badRequest('this server has no client configuration for node agents');
  const loc = await nodeLocation(s, pod.spec.nodeName);
  const headers: Record<string, string | string[]> = {};
  for (const h of FORWARDED) if (req.headers[h] !== undefined) headers[h] = req.headers[h] as string | string[];
  await new Promise<void>((resolve, reject) => {
    const r = request({ host: loc.host, port: loc.port, path, method: req.method, headers, ...kubeletTlsOptions(kubelet) });
    r.on('upgrade', (res, agentSock, agentHead) => {
      let head101 = `HTTP/1.1 101 Switching Protocols\r\n`;
      for (let i = 0; i < res.rawHeaders.length; i += 2) head101 += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
      sock.write(head101 + '\r\n');
      if (agentHead.length) sock.write(agentHead);
      if (head.length) agentSock.write(head);
      agentSock.pipe(sock);
      sock.pipe(agentSock);
      const end = () => {
        agentSock.destroy();
        sock.destroy();
      };
      agentSock.on('error', end);
      sock.on('error', end);
      agentSock.on('close', () => sock.end());
      sock.on('close', () => agentSock.end());
      resolve();
    });
    r.on('response', (res) => {
      void readBody(res).then((body) => reject(agentError(res.statusCode ?? 500, body)), reject);
    });
    r.on('error', (err) => reject(dialError(err, loc, path)));
    sock.on('close', () => r.destroy());
    r.end();
  });
}

/** An API error as a raw HTTP response on a socket that was not upgraded. */
export function writeUpgradeError(sock: Duplex, err: unknown): void {
  if (sock.destroyed) return;
  const e = err instanceof ApiError ? err : errors.internal(err);
  const body = JSON.stringify(e.toStatus());
  sock.end(`HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
