/**
 * Authentication, as kube-apiserver does it for the credentials skiff hands out:
 * x509 client certificates signed by the cluster CA (CN = user, O = groups) and bearer
 * tokens from a static table (the cluster --token and, later, service-account tokens).
 * Anonymous requests may reach only the public health and version endpoints.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from './handler.js';

export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined;
}

export interface StaticToken {
  token: string;
  user: UserInfo;
}

export function createAuthenticator(opts: { tokens: StaticToken[] }): Authenticator {
  const byToken = new Map(opts.tokens.filter((t) => t.token).map((t) => [t.token, t.user]));
  return {
    authenticate(req) {
      const auth = req.headers.authorization;
      if (auth && /^bearer /i.test(auth)) {
        return byToken.get(auth.slice(7).trim());
      }
      const sock = req.socket as TLSSocket;
      if (sock.authorized) {
        const cert = sock.getPeerCertificate();
        const subj = cert?.subject as unknown as Record<string, string | string[]> | undefined;
        if (subj?.CN) {
          const o = subj.O;
          const groups = Array.isArray(o) ? o : o ? [o] : [];
          return { name: String(subj.CN), groups: [...groups, 'system:authenticated'] };
        }
      }
      return undefined;
    },
  };
}

/** Paths kube-apiserver lets unauthenticated clients read (system:public-info-viewer). */
export function isPublicPath(path: string): boolean {
  return path === '/healthz' || path === '/cacerts' || path === '/livez' || path === '/readyz' || path === '/version' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}
