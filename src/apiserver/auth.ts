/**
 * Authentication, as kube-apiserver does it for the credentials skiff hands out:
 * x509 client certificates signed by the cluster CA (CN = user, O = groups) and bearer
 * tokens: a static table (the cluster --token) and service-account JWTs (serviceaccount/tokens.ts).
 * Anonymous requests may reach only the public health and version endpoints.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from './handler.js';
import { looksLikeJwt } from './serviceaccount/jwt.js';

export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined>;
}

export interface StaticToken {
  token: string;
  user: UserInfo;
}

export interface AuthenticatorOptions {
  tokens: StaticToken[];
  /** Service-account JWTs: the user they stand for, or undefined when invalid (then 401). */
  serviceAccountTokens?: (token: string) => Promise<UserInfo | undefined>;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const byToken = new Map(opts.tokens.filter((t) => t.token).map((t) => [t.token, t.user]));
  // A TLS connection's client certificate never changes: parse it once per socket.
  const bySocket = new WeakMap<TLSSocket, UserInfo | null>();
  return {
    authenticate(req) {
      const auth = req.headers.authorization;
      if (auth && /^bearer /i.test(auth)) {
        const token = auth.slice(7).trim();
        const user = byToken.get(token);
        if (user || !opts.serviceAccountTokens || !looksLikeJwt(token)) return user;
        return opts.serviceAccountTokens(token);
      }
      const sock = req.socket as TLSSocket;
      const known = bySocket.get(sock);
      if (known !== undefined) return known ?? undefined;
      const user = fromCertificate(sock);
      bySocket.set(sock, user ?? null);
      return user;
    },
  };
}

function fromCertificate(sock: TLSSocket): UserInfo | undefined {
  if (!sock.authorized) return undefined;
  const subj = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subj?.CN) return undefined;
  const o = subj.O;
  const groups = Array.isArray(o) ? o : o ? [o] : [];
  return { name: String(subj.CN), groups: [...groups, 'system:authenticated'] };
}

/** Paths kube-apiserver lets unauthenticated clients read (system:public-info-viewer). */
export function isPublicPath(path: string): boolean {
  return path === '/healthz' || path === '/cacerts' || path === '/livez' || path === '/readyz' || path === '/version' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}
