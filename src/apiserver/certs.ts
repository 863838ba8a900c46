/**
 * The cluster PKI, generated on first start into <data-dir>/tls like k3s does: one
 * cluster CA, the API server's serving certificate (SANs for localhost, the node's
 * addresses and the in-cluster `kubernetes` Service names and ClusterIP), the admin
 * client certificate (CN system:admin, O system:masters) that the kubeconfig carries, and
 * the service-account signing key (RSA, for RS256 tokens). Other keys are ECDSA P-256 (fast to generate, accepted by
 * kubectl and Node's TLS).
 *
 * With several servers on one datastore the CA, admin certificate and service-account key
 * are the cluster's (server/bootstrap-secrets.ts hands them in as `shared`); each server
 * still issues its own serving certificate from that CA for its own addresses.
 */
import 'reflect-metadata';
import { generateKeyPair, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR = 365 * 24 * 3600 * 1000;

export interface KeyCert {
  certPem: string;
  keyPem: string;
}

/** What every server of one cluster must share: the CA, the admin credentials, the service-account key. */
export interface ClusterSecrets {
  ca: KeyCert;
  /** The admin client certificate (CN system:admin, O system:masters). */
  admin: KeyCert;
  /** PKCS#8 PEM private key that signs service-account tokens. */
  serviceAccountKey: string;
}

export interface ClusterPki extends ClusterSecrets {
  serving: KeyCert;
}

export interface PkiOptions {
  dir: string;
  /** DNS names and IPs the serving certificate must cover (beyond the defaults). */
  sans: { dns: string[]; ips: string[] };
  /** The cluster's shared secrets (HA): they replace whatever the data dir held. */
  shared?: ClusterSecrets;
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END PRIVATE KEY-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), ALG, true, ['sign'])) as CryptoKey;
}

async function createCa(): Promise<KeyCert> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=skiff-ca@${Math.floor(Date.now() / 1000)}`,
    keys,
    signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 10 * YEAR),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

interface LeafSpec {
  subject: string;
  usage: 'server' | 'client';
  sans?: { dns: string[]; ips: string[] };
}

async function createLeaf(ca: KeyCert, spec: LeafSpec): Promise<KeyCert> {
  const keys = await newKeys();
  const caCert = new x509.X509Certificate(ca.certPem);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([spec.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (spec.sans) {
    const names: x509.JsonGeneralName[] = [
      ...spec.sans.dns.map((value) => ({ type: 'dns' as const, value })),
      ...spec.sans.ips.map((value) => ({ type: 'ip' as const, value })),
    ];
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  const cert = await x509.X509CertificateGenerator.create({
    subject: spec.subject,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.keyPem),
    signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + YEAR),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

function readPair(dir: string, name: string): KeyCert | undefined {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { certPem: readFileSync(c, 'utf8'), keyPem: readFileSync(k, 'utf8') };
}

function writePair(dir: string, name: string, kc: KeyCert): void {
  writeFileSync(join(dir, `${name}.crt`), kc.certPem, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), kc.keyPem, { mode: 0o600 });
}

/** True when cert was issued by ca, covers every wanted SAN and is valid for at least 30 more days. */
function coversSans(kc: KeyCert, ca: KeyCert, sans: { dns: string[]; ips: string[] }): boolean {
  const cert = new NodeX509(kc.certPem);
  if (new Date(cert.validTo).getTime() - Date.now() < 30 * 24 * 3600 * 1000) return false;
  if (!cert.verify(new NodeX509(ca.certPem).publicKey)) return false;
  return sans.dns.every((d) => cert.checkHost(d, { wildcards: false }) === d) && sans.ips.every((ip) => cert.checkIP(ip) !== undefined);
}

/**
 * A new service-account signing key: RSA 2048 (PKCS#8 PEM), so tokens are RS256 as on
 * kubeadm clusters. Data dirs made before hold an ECDSA P-256 key; its ES256 tokens
 * keep working (serviceaccount/jwt.ts picks the algorithm from the key).
 */
async function createServiceAccountKey(): Promise<string> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * The data dir's CA, admin certificate and service-account key, creating (and writing)
 * whichever is missing. A first HA server seeds the cluster's shared secrets from these,
 * so a single server moved onto etcd keeps its CA and every kubeconfig it wrote.
 */
export async function loadOrCreateSecrets(dir: string): Promise<ClusterSecrets> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'ca');
  if (!ca) {
    ca = await createCa();
    writePair(dir, 'ca', ca);
  }
  let admin = readPair(dir, 'client-admin');
  if (!admin || !new NodeX509(admin.certPem).verify(new NodeX509(ca.certPem).publicKey)) {
    admin = await createLeaf(ca, { subject: 'CN=system:admin, O=system:masters', usage: 'client' });
    writePair(dir, 'client-admin', admin);
  }
  const saPath = join(dir, 'service.key');
  let serviceAccountKey = existsSync(saPath) ? readFileSync(saPath, 'utf8') : '';
  if (!serviceAccountKey) {
    serviceAccountKey = await createServiceAccountKey();
    writeFileSync(saPath, serviceAccountKey, { mode: 0o600 });
  }
  return { ca, admin, serviceAccountKey };
}

/** Writes the cluster's shared secrets into dir (where they differ from what is there). */
function writeShared(dir: string, s: ClusterSecrets): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, kc] of [['ca', s.ca], ['client-admin', s.admin]] as const) {
    const cur = readPair(dir, name);
    if (cur?.certPem !== kc.certPem || cur?.keyPem !== kc.keyPem) writePair(dir, name, kc);
  }
  const saPath = join(dir, 'service.key');
  if (!existsSync(saPath) || readFileSync(saPath, 'utf8') !== s.serviceAccountKey) writeFileSync(saPath, s.serviceAccountKey, { mode: 0o600 });
}

/**
 * Loads the PKI from dir, creating what is missing (or taking the cluster's shared
 * secrets). The CA is created once and kept; the serving certificate is re-issued when
 * the wanted SANs change (e.g. a new --bind-address), it nears expiry, or it was issued
 * by another CA.
 */
export async function ensurePki(opts: PkiOptions): Promise<ClusterPki> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  if (opts.shared) writeShared(opts.dir, opts.shared);
  const { ca, admin, serviceAccountKey } = opts.shared ?? (await loadOrCreateSecrets(opts.dir));
  const sans = {
    dns: [...new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', ...opts.sans.dns])],
    ips: [...new Set(['127.0.0.1', '::1', ...opts.sans.ips])],
  };
  let serving = readPair(opts.dir, 'serving-kube-apiserver');
  if (!serving || !coversSans(serving, ca, sans)) {
    serving = await createLeaf(ca, { subject: 'CN=kube-apiserver', usage: 'server', sans });
    writePair(opts.dir, 'serving-kube-apiserver', serving);
  }
  return { ca, serving, admin, serviceAccountKey };
}

/** Issues a serving certificate (e.g. a node agent's streaming endpoint) signed by the cluster CA. */
export async function issueServingCert(ca: KeyCert, subject: string, sans: { dns: string[]; ips: string[] }): Promise<KeyCert> {
  return createLeaf(ca, { subject, usage: 'server', sans });
}

/** Issues a client certificate (e.g. for an agent or a controller) signed by the cluster CA. */
export async function issueClientCert(ca: KeyCert, user: string, groups: string[]): Promise<KeyCert> {
  const subject = [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', ');
  return createLeaf(ca, { subject, usage: 'client' });
}
