/**
 * Compact JWS (JWT) signing and verification for service-account tokens with the
 * cluster's service-account key: RS256 for an RSA key, ES256 for an ECDSA P-256 key
 * (kube-apiserver accepts both kinds of --service-account-key-file). The key id is
 * upstream's: base64url(SHA-256(DER of the public key)).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtClaims = Record<string, unknown> & { iss?: string; sub?: string; aud?: string[] | string; exp?: number; iat?: number; nbf?: number };

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class JwtKey {
  readonly privateKey?: KeyObject;
  readonly publicKey: KeyObject;
  readonly alg: 'RS256' | 'ES256';
  readonly kid: string;

  constructor(pem: string) {
    if (pem.includes('PRIVATE KEY')) {
      this.privateKey = createPrivateKey(pem);
      this.publicKey = createPublicKey(this.privateKey);
    } else {
      this.publicKey = createPublicKey(pem);
    }
    const type = this.publicKey.asymmetricKeyType;
    if (type === 'rsa') this.alg = 'RS256';
    else if (type === 'ec' && this.publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') this.alg = 'ES256';
    else throw new Error(`unsupported service-account key type ${type}`);
    this.kid = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest());
  }

  sign(claims: JwtClaims): string {
    if (!this.privateKey) throw new Error('no private key to sign with');
    const head = b64url(JSON.stringify({ alg: this.alg, kid: this.kid }));
    const body = b64url(JSON.stringify(claims));
    const input = `${head}.${body}`;
    // ES256 signatures are the raw r||s pair (IEEE P1363), not DER.
    const sig = sign('sha256', Buffer.from(input), this.alg === 'ES256' ? { key: this.privateKey, dsaEncoding: 'ieee-p1363' } : this.privateKey);
    return `${input}.${b64url(sig)}`;
  }

  /** The claims of a token this key signed, or undefined (malformed, other alg or key, bad signature). Time and audience are the caller's. */
  verify(token: string): JwtClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      if (head?.alg !== this.alg) return undefined;
      const sig = Buffer.from(parts[2], 'base64url');
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.alg === 'ES256' ? { key: this.publicKey, dsaEncoding: 'ieee-p1363' } : this.publicKey, sig);
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /** The public key as a JWK (for /openid/v1/jwks). */
  jwk(): Record<string, unknown> {
    const jwk = this.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    return { use: 'sig', kty: jwk.kty, kid: this.kid, alg: this.alg, ...jwk };
  }
}

/** True when the string has a JWT's shape (three base64url parts), so other bearer tokens skip the verifier. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
