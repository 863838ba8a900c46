/**
 * Bound service-account tokens, as kube-apiserver issues and checks them: JWTs signed
 * with the cluster's service-account key carrying the ServiceAccount (and, when bound,
 * the Pod) by name and uid. A token authenticates only while it is unexpired, names an
 * audience of this API server, and the objects it names still exist with the same uids
 * (so deleting a ServiceAccount or its pod revokes its tokens at once).
 */
import { randomUUID } from 'node:crypto';
import type { UserInfo } from '../handler.js';
import { JwtKey, looksLikeJwt, type JwtClaims } from './jwt.js';
import { legacySubject, type LegacyTokenSubject } from './legacy.js';

/** kube-apiserver's default --service-account-issuer (and so --api-audiences) for cluster.local. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface BoundObject {
  kind: 'Pod' | 'Secret';
  name: string;
  uid: string;
}

export interface IssueOptions {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  bound?: BoundObject;
}

/** Looks objects up for token checks: the uid of a namespaced object, or undefined when it is gone. */
export type UidLookup = (kind: 'ServiceAccount' | 'Pod' | 'Secret', namespace: string, name: string) => Promise<string | undefined>;

export class ServiceAccountTokens {
  readonly key: JwtKey;
  readonly issuer: string;
  /** The audiences this API server accepts (upstream --api-audiences defaults to the issuer). */
  readonly audiences: string[];

  constructor(keyPem: string, o: { issuer?: string; audiences?: string[]; now?: () => Date } = {}) {
    this.key = new JwtKey(keyPem);
    this.issuer = o.issuer ?? DEFAULT_ISSUER;
    this.audiences = o.audiences ?? [this.issuer];
    this.now = o.now ?? (() => new Date());
  }
  private readonly now: () => Date;

  issue(o: IssueOptions): { token: string; expirationTimestamp: Date } {
    const iat = Math.floor(this.now().getTime() / 1000);
    const exp = iat + o.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: o.namespace, serviceaccount: { name: o.serviceAccount.name, uid: o.serviceAccount.uid } };
    if (o.bound?.kind === 'Pod') k8s.pod = { name: o.bound.name, uid: o.bound.uid };
    if (o.bound?.kind === 'Secret') k8s.secret = { name: o.bound.name, uid: o.bound.uid };
    const claims: JwtClaims = {
      aud: o.audiences,
      exp,
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': k8s,
      nbf: iat,
      sub: `system:serviceaccount:${o.namespace}:${o.serviceAccount.name}`,
    };
    return { token: this.key.sign(claims), expirationTimestamp: new Date(exp * 1000) };
  }

  /** The user a bearer token stands for, or undefined when it is not a valid service-account token for this server. */
  async authenticate(token: string, lookup: UidLookup): Promise<UserInfo | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    const c = this.key.verify(token);
    if (!c || c.iss !== this.issuer) return undefined;
    const now = Math.floor(this.now().getTime() / 1000);
    // A little leeway for clock skew, as upstream's validator allows.
    if (typeof c.exp !== 'number' || c.exp < now - 60) return undefined;
    if (typeof c.nbf === 'number' && c.nbf > now + 60) return undefined;
    const aud = Array.isArray(c.aud) ? c.aud : typeof c.aud === 'string' ? [c.aud] : [];
    if (!aud.some((a) => this.audiences.includes(a))) return undefined;
    const k = c['kubernetes.io'] as any;
    const ns = k?.namespace;
    const sa = k?.serviceaccount;
    if (typeof ns !== 'string' || typeof sa?.name !== 'string' || c.sub !== `system:serviceaccount:${ns}:${sa.name}`) return undefined;
    if ((await lookup('ServiceAccount', ns, sa.name)) !== sa.uid) return undefined;
    if (k.pod && (await lookup('Pod', ns, k.pod.name)) !== k.pod.uid) return undefined;
    if (k.secret && (await lookup('Secret', ns, k.secret.name)) !== k.secret.uid) return undefined;
    // As upstream: the ServiceAccount's uid, and the bound pod and token id as extra attributes.
    const extra: Record<string, string[]> = {};
    if (typeof c.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    return { name: c.sub, uid: sa.uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'], extra };
  }

  /** The subject of a legacy (Secret-based) token this key signed, or undefined; the Secret and ServiceAccount checks are the caller's. */
  legacy(token: string): LegacyTokenSubject | undefined {
    if (!looksLikeJwt(token)) return undefined;
    const c = this.key.verify(token);
    return c ? legacySubject(c) : undefined;
  }

  /** /.well-known/openid-configuration, as kube-apiserver serves it. */
  openidConfiguration(jwksUri: string): Record<string, unknown> {
    return { issuer: this.issuer, jwks_uri: jwksUri, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: [this.key.alg] };
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [this.key.jwk()] };
  }
}
