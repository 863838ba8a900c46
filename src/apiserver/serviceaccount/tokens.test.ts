import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { JwtKey } from './jwt.js';
import { ServiceAccountTokens, type UidLookup } from './tokens.js';

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('JwtKey', () => {
  for (const [name, pem, alg] of [['RSA', rsaPem, 'RS256'], ['ECDSA P-256', ecPem, 'ES256']] as const) {
    it(`signs and verifies ${alg} with an ${name} key`, () => {
      const k = new JwtKey(pem);
      assert.equal(k.alg, alg);
      const t = k.sign({ sub: 'x', n: 1 });
      assert.deepEqual(decode(t.split('.')[0]), { alg, kid: k.kid });
      assert.deepEqual(k.verify(t), { sub: 'x', n: 1 });
      // Tampered payload, signature from another key, wrong shape: all refused.
      const [h, , s] = t.split('.');
      assert.equal(k.verify(`${h}.${Buffer.from(JSON.stringify({ sub: 'admin', n: 1 })).toString('base64url')}.${s}`), undefined);
      const otherPem = (alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      assert.equal(k.verify(new JwtKey(otherPem).sign({ sub: 'x' })), undefined);
      assert.equal(k.verify('a.b'), undefined);
    });
  }

  it('refuses alg none and a mismatched alg', () => {
    const k = new JwtKey(rsaPem);
    const body = Buffer.from(JSON.stringify({ sub: 'x' })).toString('base64url');
    assert.equal(k.verify(`${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${body}.`), undefined);
    assert.equal(k.verify(`${Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url')}.${body}.abc`), undefined);
  });

  it('exports the public key as a JWK with the kid', () => {
    const k = new JwtKey(rsaPem);
    const jwk = k.jwk();
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.kid, k.kid);
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.d, undefined);
  });
});

describe('ServiceAccountTokens', () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const t = new ServiceAccountTokens(rsaPem, { now: () => now });
  const objects = new Map<string, string>([
    ['ServiceAccount/ns1/default', 'sa-uid'],
    ['Pod/ns1/web', 'pod-uid'],
  ]);
  const lookup: UidLookup = async (kind, ns, name) => objects.get(`${kind}/${ns}/${name}`);
  const issue = (o: Partial<Parameters<ServiceAccountTokens['issue']>[0]> = {}) =>
    t.issue({ namespace: 'ns1', serviceAccount: { name: 'default', uid: 'sa-uid' }, audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600, ...o });

  it('issues upstream-shaped claims', () => {
    const { token, expirationTimestamp } = issue({ bound: { kind: 'Pod', name: 'web', uid: 'pod-uid' } });
    const c = decode(token.split('.')[1]);
    const iat = now.getTime() / 1000;
    assert.equal(expirationTimestamp.toISOString(), '2026-01-01T01:00:00.000Z');
    assert.deepEqual({ ...c, jti: undefined }, {
      aud: ['https://kubernetes.default.svc.cluster.local'],
      exp: iat + 3600,
      iat,
      nbf: iat,
      iss: 'https://kubernetes.default.svc.cluster.local',
      jti: undefined,
      sub: 'system:serviceaccount:ns1:default',
      'kubernetes.io': { namespace: 'ns1', serviceaccount: { name: 'default', uid: 'sa-uid' }, pod: { name: 'web', uid: 'pod-uid' } },
    });
  });

  it('authenticates a valid token as the ServiceAccount', async () => {
    const user = await t.authenticate(issue().token, lookup);
    assert.equal(user?.name, 'system:serviceaccount:ns1:default');
    assert.equal(user?.uid, 'sa-uid');
    assert.deepEqual(user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated']);
    assert.match(user?.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^JTI=[0-9a-f-]{36}$/);
    const bound = await t.authenticate(issue({ bound: { kind: 'Pod', name: 'web', uid: 'pod-uid' } }).token, lookup);
    assert.deepEqual(bound?.extra?.['authentication.kubernetes.io/pod-name'], ['web']);
    assert.deepEqual(bound?.extra?.['authentication.kubernetes.io/pod-uid'], ['pod-uid']);
  });

  it('refuses other audiences, expired tokens, and tokens whose SA or pod is gone or re-created', async () => {
    assert.equal(await t.authenticate(issue({ audiences: ['vault'] }).token, lookup), undefined);
    const expiring = issue({ expirationSeconds: 600 }).token;
    const saved = now;
    now = new Date(saved.getTime() + 700_000);
    assert.equal(await t.authenticate(expiring, lookup), undefined);
    now = saved;
    assert.equal(await t.authenticate(issue({ serviceAccount: { name: 'default', uid: 'old-uid' } }).token, lookup), undefined);
    assert.equal(await t.authenticate(issue({ serviceAccount: { name: 'gone', uid: 'x' } }).token, lookup), undefined);
    assert.equal(await t.authenticate(issue({ bound: { kind: 'Pod', name: 'web', uid: 'other' } }).token, lookup), undefined);
    assert.ok(await t.authenticate(issue({ bound: { kind: 'Pod', name: 'web', uid: 'pod-uid' } }).token, lookup));
    assert.equal(await t.authenticate('not-a-jwt', lookup), undefined);
  });

  it('refuses a token signed by another key', async () => {
    const other = new ServiceAccountTokens(ecPem, { now: () => now });
    const tok = other.issue({ namespace: 'ns1', serviceAccount: { name: 'default', uid: 'sa-uid' }, audiences: t.audiences, expirationSeconds: 3600 }).token;
    assert.equal(await t.authenticate(tok, lookup), undefined);
    assert.ok(await other.authenticate(tok, lookup));
  });
});
