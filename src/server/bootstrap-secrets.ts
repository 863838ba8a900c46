/**
 * Bootstrap secrets shared by every server of one cluster, as k3s keeps its "bootstrap
 * data" in the datastore: the cluster CA (key and certificate), the admin client
 * certificate the kubeconfig carries, and the service-account signing key. The first
 * server on an empty datastore generates them and stores them under one reserved key,
 * sealed with a key derived from the cluster token (scrypt, then AES-256-GCM); later
 * servers with the same token open them. The key is created only if absent, so two
 * servers starting at once agree on one set. A wrong token fails the GCM tag check and
 * is reported as BootstrapTokenError, never as garbage certificates.
 *
 * The reserved key lives outside /registry/, where the API server never reads or lists.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import type { ClusterSecrets } from '../apiserver/certs.js';
import { KeyExistsError } from '../store/errors.js';
import type { Backend } from '../store/types.js';
import type { Logger } from '../util/log.js';

export const BOOTSTRAP_KEY = '/skiff/bootstrap/secrets';

export type BootstrapSecrets = ClusterSecrets;

/** The token cannot open the sealed secrets: another cluster's datastore, or a mistyped --token. */
export class BootstrapTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BootstrapTokenError';
  }
}

/** Sealed form as stored: every binary field base64. */
interface Sealed {
  v: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
}

// scrypt at N=2^15, r=8 costs ~32 MiB and a few tens of milliseconds per server start:
// cheap once, expensive for someone guessing tokens against a copied datastore.
const KDF = { N: 1 << 15, r: 8, p: 1 };

function deriveKey(token: string, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r };
  return new Promise((resolve, reject) => scryptCb(token, salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function sealSecrets(secrets: BootstrapSecrets, token: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(token, salt, KDF);
  const c = createCipheriv('aes-256-gcm', key, iv);
  // The key name is authenticated data: a sealed blob moved under another key does not open.
  c.setAAD(Buffer.from(BOOTSTRAP_KEY));
  const data = Buffer.concat([c.update(JSON.stringify(secrets), 'utf8'), c.final()]);
  const sealed: Sealed = { v: 1, kdf: { name: 'scrypt', ...KDF, salt: salt.toString('base64') }, cipher: 'aes-256-gcm', iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
  return JSON.stringify(sealed);
}

export async function openSecrets(stored: string, token: string): Promise<BootstrapSecrets> {
  let s: Sealed;
  try {
    s = JSON.parse(stored);
  } catch (err) {
    throw new Error(`bootstrap secrets at ${BOOTSTRAP_KEY} are not valid JSON`, { cause: err });
  }
  if (s.v !== 1 || s.kdf?.name !== 'scrypt' || s.cipher !== 'aes-256-gcm') throw new Error(`bootstrap secrets at ${BOOTSTRAP_KEY} have an unknown format (v=${s.v})`);
  const key = await deriveKey(token, Buffer.from(s.kdf.salt, 'base64'), s.kdf);
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
  d.setAAD(Buffer.from(BOOTSTRAP_KEY));
  d.setAuthTag(Buffer.from(s.tag, 'base64'));
  let plain: string;
  try {
    plain = Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]).toString('utf8');
  } catch (err) {
    throw new BootstrapTokenError(
      'the datastore holds bootstrap secrets that this token cannot decrypt: every server of a cluster must be started with the same --token as the first one',
      { cause: err },
    );
  }
  return JSON.parse(plain) as BootstrapSecrets;
}

export interface SharedSecretsOptions {
  backend: Backend;
  token: string;
  /** Makes a fresh set (or one seeded from this server's existing data dir) when the datastore has none. */
  generate: () => Promise<BootstrapSecrets>;
  log: Logger;
}

/**
 * Loads the cluster's bootstrap secrets from the datastore, or stores a new set when there
 * is none. Returns the set every server of the cluster uses and whether this call created it.
 */
export async function ensureSharedSecrets(o: SharedSecretsOptions): Promise<{ secrets: BootstrapSecrets; created: boolean }> {
  const existing = await o.backend.get(BOOTSTRAP_KEY);
  if (existing.kv) {
    const secrets = await openSecrets(existing.kv.value, o.token);
    o.log.info('loaded the cluster bootstrap secrets from the datastore', { key: BOOTSTRAP_KEY });
    return { secrets, created: false };
  }
  const fresh = await o.generate();
  try {
    await o.backend.create(BOOTSTRAP_KEY, await sealSecrets(fresh, o.token));
    o.log.info('stored new cluster bootstrap secrets in the datastore', { key: BOOTSTRAP_KEY });
    return { secrets: fresh, created: true };
  } catch (err) {
    if (!(err instanceof KeyExistsError)) throw err;
    // Another server created them between our get and create: theirs win, ours are dropped.
    const won = await o.backend.get(BOOTSTRAP_KEY);
    if (!won.kv) throw new Error(`bootstrap secrets at ${BOOTSTRAP_KEY} vanished while starting`, { cause: err });
    o.log.info('another server stored the cluster bootstrap secrets first; using those', { key: BOOTSTRAP_KEY });
    return { secrets: await openSecrets(won.kv.value, o.token), created: false };
  }
}
