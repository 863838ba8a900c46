/**
 * Legacy (Secret-based) service-account tokens, as upstream's tokens controller issues and
 * kube-apiserver's legacy validator checks them: a JWT with issuer `kubernetes/serviceaccount`,
 * no expiry, and flat `kubernetes.io/serviceaccount/*` claims naming the namespace, Secret and
 * ServiceAccount. Such a token authenticates only while its Secret exists (not being deleted,
 * not labelled invalid) and still holds that very token, and the ServiceAccount exists with the
 * uid the token names.
 */
import type { UserInfo } from '../handler.js';
import type { JwtKey, JwtClaims } from './jwt.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const SA_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
/** LegacyServiceAccountTokenTracking: the date (YYYY-MM-DD) a Secret's token last authenticated. */
export const LAST_USED_LABEL = 'kubernetes.io/legacy-token-last-used';
/** LegacyServiceAccountTokenCleanUp marks tokens invalid with this label; the validator then refuses them. */
export const INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';

const C = 'kubernetes.io/serviceaccount/';

export interface LegacyTokenSubject {
  namespace: string;
  secretName: string;
  serviceAccount: { name: string; uid: string };
}

export function issueLegacyToken(key: JwtKey, s: LegacyTokenSubject): string {
  return key.sign({
    iss: LEGACY_ISSUER,
    [`${C}namespace`]: s.namespace,
    [`${C}secret.name`]: s.secretName,
    [`${C}service-account.name`]: s.serviceAccount.name,
    [`${C}service-account.uid`]: s.serviceAccount.uid,
    sub: `system:serviceaccount:${s.namespace}:${s.serviceAccount.name}`,
  });
}

/** The subject of verified claims when they are a well-formed legacy token, else undefined. */
export function legacySubject(c: JwtClaims): LegacyTokenSubject | undefined {
  if (c.iss !== LEGACY_ISSUER) return undefined;
  const ns = c[`${C}namespace`];
  const secretName = c[`${C}secret.name`];
  const name = c[`${C}service-account.name`];
  const uid = c[`${C}service-account.uid`];
  if (typeof ns !== 'string' || typeof secretName !== 'string' || typeof name !== 'string' || typeof uid !== 'string') return undefined;
  if (!ns || !secretName || !name || !uid || c.sub !== `system:serviceaccount:${ns}:${name}`) return undefined;
  return { namespace: ns, secretName, serviceAccount: { name, uid } };
}

/** Objects as stored, for the legacy checks. */
export type ObjectLookup = (kind: 'ServiceAccount' | 'Secret', namespace: string, name: string) => Promise<any | undefined>;

/**
 * The user a legacy token stands for, with the Secret that vouched for it (so the caller
 * can record its last use), or undefined when the token is no longer valid.
 */
export async function validateLegacyToken(token: string, s: LegacyTokenSubject, get: ObjectLookup): Promise<{ user: UserInfo; secret: any } | undefined> {
  const secret = await get('Secret', s.namespace, s.secretName);
  if (!secret || secret.metadata.deletionTimestamp || secret.metadata.labels?.[INVALID_SINCE_LABEL]) return undefined;
  const stored = secret.data?.token;
  if (typeof stored !== 'string' || Buffer.from(stored, 'base64').toString('utf8') !== token) return undefined;
  const sa = await get('ServiceAccount', s.namespace, s.serviceAccount.name);
  if (!sa || sa.metadata.deletionTimestamp || sa.metadata.uid !== s.serviceAccount.uid) return undefined;
  const user: UserInfo = {
    name: `system:serviceaccount:${s.namespace}:${s.serviceAccount.name}`,
    uid: s.serviceAccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${s.namespace}`, 'system:authenticated'],
  };
  return { user, secret };
}

/** Today's date as the last-used label holds it (UTC). */
export function lastUsedDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}
