/**
 * Client-side failover between several API servers (an agent started with
 * `--server URL1,URL2`): requests go to one server — the current one — until a connection
 * to it fails, then to the next in the list, round and round. Like client-go, only
 * failures of the connection itself move the client; an HTTP answer, even an error, means
 * the server is there.
 *
 * Which failed requests are re-sent to the next server: any request whose connection was
 * never made (refused, unreachable, connect timeout) — the server cannot have acted on
 * it; and, when the connection broke mid-request, every request but POST. PUT, PATCH
 * and DELETE carry preconditions (resourceVersion, uid) or are idempotent, so a second
 * copy is harmless; a POST with generateName could create a twin, so it is left to the
 * caller's own retry.
 */

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNECTTIMEOUT']);
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

const codeOf = (err: unknown) => String((err as NodeJS.ErrnoException)?.code ?? '');

/** The connection was never made: no request reached the server. */
export function isConnectFailure(err: unknown): boolean {
  return CONNECT_CODES.has(codeOf(err));
}

/** A failure of the connection (before or during the request), not an answer from the server. */
export function isConnectionFailure(err: unknown): boolean {
  return isConnectFailure(err) || BROKEN_CODES.has(codeOf(err)) || /socket hang up/i.test(String((err as Error)?.message));
}

/** Whether a request that failed this way may be sent again to another server. */
export function mayResend(err: unknown, method: string): boolean {
  return isConnectFailure(err) || (isConnectionFailure(err) && method.toUpperCase() !== 'POST');
}

export class ServerList {
  private readonly urls: URL[];
  private current = 0;

  constructor(servers: string[], private readonly onSwitch?: (from: string, to: string, err: unknown) => void) {
    if (servers.length === 0) throw new Error('at least one API server URL is required');
    this.urls = servers.map((s) => new URL(s));
  }

  get size(): number {
    return this.urls.length;
  }

  /** The server requests go to now. */
  pick(): URL {
    return this.urls[this.current];
  }

  all(): string[] {
    return this.urls.map((u) => u.origin);
  }

  /** A connection to `url` failed: move on to the next server, unless another request already did. */
  failed(url: URL, err: unknown): void {
    if (this.urls.length < 2 || this.urls[this.current] !== url) return;
    this.current = (this.current + 1) % this.urls.length;
    this.onSwitch?.(url.origin, this.urls[this.current].origin, err);
  }
}
