/**
 * The cluster PKI, generated on first start into <data-dir>/tls like k3s does: one
 * cluster CA, the API server's serving certificate (SANs for localhost, the node's
 * addresses and the in-cluster `kubernetes` Service names and ClusterIP), and the admin
 * client certificate (CN system:admin, O system:masters) that the kubeconfig carries.
 * Keys are ECDSA P-256 (fast to generate, accepted by kubectl and Node's TLS).
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
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

export interface ClusterPki {
  ca: KeyCert;
  serving: KeyCert;
  admin: KeyCert;
}

export interface PkiOptions {
  dir: string;
  /** DNS names and IPs the serving certificate must cover (beyond the defaults). */
  sans: { dns: string[]; ips: string[] };
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

/** True when cert covers every wanted SAN and is valid for at least 30 more days. */
function coversSans(kc: KeyCert, sans: { dns: string[]; ips: string[] }): boolean {
  const cert = new NodeX509(kc.certPem);
  if (new Date(cert.validTo).getTime() - Date.now() < 30 * 24 * 3600 * 1000) return false;
  return sans.dns.every((d) => cert.checkHost(d, { wildcards: false }) === d) && sans.ips.every((ip) => cert.checkIP(ip) !== undefined);
}

/**
 * Loads the PKI from dir, creating what is missing. The CA is created once and kept;
 * the serving certificate is re-issued when the wanted SANs change (e.g. a new
 * --bind-address) or it nears expiry.
 */
export async function ensurePki(opts: PkiOptions): Promise<ClusterPki> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  let ca = readPair(opts.dir, 'ca');
  if (!ca) {
    ca = await createCa();
    writePair(opts.dir, 'ca', ca);
  }
  const sans = {
    dns: [...new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', ...opts.sans.dns])],
    ips: [...new Set(['127.0.0.1', '::1', ...opts.sans.ips])],
  };
  let serving = readPair(opts.dir, 'serving-kube-apiserver');
  if (!serving || !coversSans(serving, sans)) {
    serving = await createLeaf(ca, { subject: 'CN=kube-apiserver', usage: 'server', sans });
    writePair(opts.dir, 'serving-kube-apiserver', serving);
  }
  let admin = readPair(opts.dir, 'client-admin');
  if (!admin) {
    admin = await createLeaf(ca, { subject: 'CN=system:admin, O=system:masters', usage: 'client' });
    writePair(opts.dir, 'client-admin', admin);
  }
  return { ca, serving, admin };
}

/** Issues a client certificate (e.g. for an agent or a controller) signed by the cluster CA. */
export async function issueClientCert(ca: KeyCert, user: string, groups: string[]): Promise<KeyCert> {
  const subject = [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', ');
  return createLeaf(ca, { subject, usage: 'client' });
}
