/**
 * ServiceAccounts end to end with the real kubectl on simulated nodes: every namespace
 * gets a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap (both put back
 * when deleted); `kubectl create token` gives a bound token that authenticates until its
 * ServiceAccount (or pod) is deleted, and a tampered one gets 401; pods get the
 * kube-api-access projected volume unless automountServiceAccountToken is false.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';

describe('service accounts', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.until('a ready node', async () => (await c.getJson('/api/v1/nodes')).items.some((n: any) => n.spec?.podCIDR));
  });
  after(async () => {
    await c.destroy();
  });

  it('gives a new namespace its default ServiceAccount, and re-creates it when deleted', async () => {
    await c.k(['create', 'namespace', 'sa-one']);
    const out = await c.until('default SA', async () => {
      const r = await c.kubectl(['get', 'sa', '-n', 'sa-one']);
      return r.code === 0 && /^default\s+0\s+/m.test(r.stdout) && r.stdout;
    });
    assert.match(out, /^NAME\s+SECRETS\s+AGE$/m);
    const uid = (await c.getJson('/api/v1/namespaces/sa-one/serviceaccounts/default')).metadata.uid;
    await c.k(['delete', 'sa', 'default', '-n', 'sa-one']);
    await c.until('default SA back with a new uid', async () => {
      const r = await c.raw('GET', '/api/v1/namespaces/sa-one/serviceaccounts/default');
      return r.code === 200 && r.json.metadata.uid !== uid;
    });
  });

  it('publishes kube-root-ca.crt with the cluster CA in every namespace, and keeps it', async () => {
    const ca = (await c.raw('GET', '/cacerts', { anonymous: true })).body;
    assert.match(ca, /BEGIN CERTIFICATE/);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await c.until(`kube-root-ca.crt in ${ns}`, async () => {
        const r = await c.raw('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
        return r.code === 200 && r.json.data['ca.crt'] === ca;
      });
    }
    await c.k(['create', 'namespace', 'ca-one']);
    await c.until('kube-root-ca.crt in ca-one', async () => (await c.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', 'ca-one'])).code === 0);
    const cm = await c.getJson('/api/v1/namespaces/ca-one/configmaps/kube-root-ca.crt');
    assert.match(cm.metadata.annotations['kubernetes.io/description'], /^Contains a CA bundle that can be used to verify the kube-apiserver/);
    // Edited: put back. Deleted: re-created.
    await c.k(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'ca-one', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}']);
    await c.until('ca.crt restored', async () => (await c.getJson('/api/v1/namespaces/ca-one/configmaps/kube-root-ca.crt')).data['ca.crt'] === ca);
    await c.k(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'ca-one']);
    await c.until('kube-root-ca.crt re-created', async () => (await c.raw('GET', '/api/v1/namespaces/ca-one/configmaps/kube-root-ca.crt')).code === 200);
  });

  const kubectlAs = (token: string, args: string[]) => c.kubectl([`--kubeconfig=/dev/null`, `--server=${c.url}`, `--certificate-authority=${caFile}`, `--token=${token}`, ...args]);
  let caFile = '';

  it('kubectl create token gives a token that authenticates as the ServiceAccount', async () => {
    caFile = join(mkdtempSync(join(tmpdir(), 'skiff-sa-')), 'ca.crt');
    writeFileSync(caFile, (await c.raw('GET', '/cacerts', { anonymous: true })).body);
    await c.k(['create', 'namespace', 'tok']);
    await c.until('default SA in tok', async () => (await c.raw('GET', '/api/v1/namespaces/tok/serviceaccounts/default')).code === 200);
    const token = (await c.k(['create', 'token', 'default', '-n', 'tok'])).trim();
    const [head, body] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as any);
    assert.equal(head.alg, 'RS256');
    const sa = await c.getJson('/api/v1/namespaces/tok/serviceaccounts/default');
    assert.equal(body.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(body.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(body.sub, 'system:serviceaccount:tok:default');
    assert.equal(body.exp - body.iat, 3600);
    assert.deepEqual(body['kubernetes.io'], { namespace: 'tok', serviceaccount: { name: 'default', uid: sa.metadata.uid } });

    // RBAC: a ServiceAccount may do nothing until it is bound to a role, as upstream.
    const denied = await kubectlAs(token, ['get', 'pods', '-n', 'tok']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Error from server \(Forbidden\): pods is forbidden: User "system:serviceaccount:tok:default" cannot list resource "pods" in API group "" in the namespace "tok"/);
    await c.k(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=tok:default', '-n', 'tok']);
    const r = await c.until('the binding in effect', async () => {
      const x = await kubectlAs(token, ['get', 'pods', '-n', 'tok']);
      return x.code === 0 && x;
    });
    assert.match(r.stderr, /No resources found in tok namespace/);
    const who = JSON.parse(await kubectlAs(token, ['auth', 'whoami', '-o', 'json']).then((r) => r.stdout)).status.userInfo;
    assert.equal(who.username, 'system:serviceaccount:tok:default');
    assert.equal(who.uid, sa.metadata.uid);
    assert.deepEqual(who.groups, ['system:serviceaccounts', 'system:serviceaccounts:tok', 'system:authenticated']);
    assert.match(await kubectlAs(token, ['auth', 'whoami']).then((r) => r.stdout), /^Username\s+system:serviceaccount:tok:default$/m);

    // A tampered payload (another namespace) is refused with 401, as kubectl reports it.
    const forged = Buffer.from(JSON.stringify({ ...body, sub: 'system:serviceaccount:kube-system:default' })).toString('base64url');
    const bad = await kubectlAs([token.split('.')[0], forged, token.split('.')[2]].join('.'), ['get', 'pods', '-n', 'tok']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
    const raw = await c.raw('GET', '/api/v1/namespaces/tok/pods', { anonymous: true, headers: { authorization: `Bearer ${token}x` } });
    assert.equal(raw.code, 401);

    // Deleting the ServiceAccount revokes its tokens at once (even once it is re-created: new uid).
    await c.k(['delete', 'sa', 'default', '-n', 'tok']);
    const gone = await kubectlAs(token, ['get', 'pods', '-n', 'tok']);
    assert.match(gone.stderr, /Unauthorized/);
  });

  it('legacy token Secret: populated by the tokens controller, authenticates while it exists, deleted with its ServiceAccount', async () => {
    await c.k(['create', 'namespace', 'legacy']);
    await c.k(['create', 'sa', 'robot', '-n', 'legacy']);
    const secret = (name: string, sa: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name, namespace: 'legacy', annotations: { 'kubernetes.io/service-account.name': sa } } });
    await c.k(['apply', '-f', '-'], { input: secret('robot-token', 'robot') });
    const s = await c.until('robot-token populated', async () => {
      const o = await c.getJson('/api/v1/namespaces/legacy/secrets/robot-token');
      return o.data?.token && o;
    });
    const sa = await c.getJson('/api/v1/namespaces/legacy/serviceaccounts/robot');
    assert.equal(s.metadata.annotations['kubernetes.io/service-account.uid'], sa.metadata.uid);
    assert.equal(Buffer.from(s.data.namespace, 'base64').toString(), 'legacy');
    assert.match(Buffer.from(s.data['ca.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
    const desc = await c.k(['describe', 'secret', 'robot-token', '-n', 'legacy']);
    assert.match(desc, /Type:\s+kubernetes\.io\/service-account-token/);
    assert.match(desc, /^token:\s+\S+/m);
    assert.match(desc, /^ca\.crt:\s+\d+ bytes/m);
    const token = Buffer.from(s.data.token, 'base64').toString();
    const body = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as any;
    assert.equal(body.iss, 'kubernetes/serviceaccount');
    assert.equal(body.exp, undefined);
    assert.equal(body['kubernetes.io/serviceaccount/secret.name'], 'robot-token');
    assert.equal(body['kubernetes.io/serviceaccount/service-account.uid'], sa.metadata.uid);
    const who = await kubectlAs(token, ['auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).status.userInfo.username, 'system:serviceaccount:legacy:robot');
    // LegacyServiceAccountTokenTracking labels the Secret with the day of use.
    await c.until('last-used label', async () => (await c.getJson('/api/v1/namespaces/legacy/secrets/robot-token')).metadata.labels?.['kubernetes.io/legacy-token-last-used'] === new Date().toISOString().slice(0, 10));
    // Deleting the Secret revokes the token.
    await c.k(['delete', 'secret', 'robot-token', '-n', 'legacy']);
    assert.match((await kubectlAs(token, ['auth', 'whoami'])).stderr, /Unauthorized/);
    // A Secret naming a missing ServiceAccount is deleted; so is one whose ServiceAccount goes.
    await c.k(['apply', '-f', '-'], { input: secret('ghost-token', 'ghost') });
    await c.until('ghost-token deleted', async () => (await c.raw('GET', '/api/v1/namespaces/legacy/secrets/ghost-token')).code === 404);
    await c.k(['apply', '-f', '-'], { input: secret('robot-token2', 'robot') });
    await c.until('robot-token2 populated', async () => Boolean((await c.getJson('/api/v1/namespaces/legacy/secrets/robot-token2')).data?.token));
    await c.k(['delete', 'sa', 'robot', '-n', 'legacy']);
    await c.until('robot-token2 deleted with its ServiceAccount', async () => (await c.raw('GET', '/api/v1/namespaces/legacy/secrets/robot-token2')).code === 404);
  });

  it('TokenRequest: audiences, duration and the bound pod; invalid requests as upstream', async () => {
    const tr = await c.raw('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['vault'], expirationSeconds: 600 } }), contentType: 'application/json' });
    assert.equal(tr.code, 201, tr.body);
    assert.equal(tr.json.kind, 'TokenRequest');
    assert.deepEqual(tr.json.spec.audiences, ['vault']);
    assert.ok(Date.parse(tr.json.status.expirationTimestamp) > Date.now() + 500_000);
    // Another audience: not accepted by the API server.
    assert.match((await kubectlAs(tr.json.status.token, ['get', 'pods'])).stderr, /Unauthorized/);
    const short = await c.raw('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { body: JSON.stringify({ spec: { expirationSeconds: 599 } }), contentType: 'application/json' });
    assert.equal(short.code, 422);
    assert.equal(short.json.message, 'TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
    const none = await c.kubectl(['create', 'token', 'nobody']);
    assert.match(none.stderr, /serviceaccounts "nobody" not found/);

    await c.k(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default']);
    await c.k(['run', 'bound', '--image=busybox:1.36', '--', 'sleep', '3600']);
    const pod = await c.getJson('/api/v1/namespaces/default/pods/bound');
    const token = (await c.k(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=bound'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'bound', uid: pod.metadata.uid });
    await c.until('the bound token reads its pod', async () => (await kubectlAs(token, ['get', 'pod', 'bound'])).code === 0);
    await c.k(['delete', 'pod', 'bound', '--grace-period=0', '--force']);
    await c.until('the bound pod gone', async () => (await c.raw('GET', '/api/v1/namespaces/default/pods/bound')).code === 404);
    assert.match((await kubectlAs(token, ['get', 'pods'])).stderr, /Unauthorized/);
  });

  it('serves the OIDC discovery document and the JWKS', async () => {
    const conf = await c.getJson('/.well-known/openid-configuration');
    assert.equal(conf.issuer, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(conf.id_token_signing_alg_values_supported, ['RS256']);
    const jwks = await c.getJson('/openid/v1/jwks');
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kty, 'RSA');
  });

  it('admission: a pod gets the kube-api-access volume and mounts; automountServiceAccountToken false leaves them out', async () => {
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: with-token}
spec:
  initContainers:
  - {name: init, image: busybox:1.36, command: ["true"]}
  containers:
  - {name: app, image: busybox:1.36, command: ["sleep", "3600"]}
`,
    });
    const p = await c.getJson('/api/v1/namespaces/default/pods/with-token');
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(p.spec.serviceAccount, 'default');
    assert.equal(p.spec.volumes.length, 1);
    const vol = p.spec.volumes[0];
    assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(vol.projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    });
    for (const ctr of [...p.spec.initContainers, ...p.spec.containers]) assert.deepEqual(ctr.volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    // kubectl describe shows the projected volume as upstream's does.
    assert.match(await c.k(['describe', 'pod', 'with-token']), new RegExp(`${vol.name}:\\s+Type:\\s+Projected`));
    // Re-applying the same manifest (client-side and server-side) keeps the pod as it is.
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: with-token}
spec:
  initContainers:
  - {name: init, image: busybox:1.36, command: ["true"]}
  containers:
  - {name: app, image: busybox:1.36, command: ["sleep", "3600"]}
`;
    assert.match(await c.k(['apply', '-f', '-'], { input: manifest }), /pod\/with-token unchanged/);
    await c.k(['apply', '--server-side', '-f', '-'], { input: manifest });
    assert.deepEqual((await c.getJson('/api/v1/namespaces/default/pods/with-token')).spec.volumes, p.spec.volumes);
    await c.until('with-token Running', async () => (await c.getJson('/api/v1/namespaces/default/pods/with-token')).status?.phase === 'Running');

    await c.k(['apply', '-f', '-'], { input: `apiVersion: v1
kind: Pod
metadata: {name: no-token}
spec:
  automountServiceAccountToken: false
  containers:
  - {name: app, image: busybox:1.36}
` });
    const q = await c.getJson('/api/v1/namespaces/default/pods/no-token');
    assert.equal(q.spec.volumes, undefined);
    assert.equal(q.spec.containers[0].volumeMounts, undefined);

    await c.k(['create', 'sa', 'quiet']);
    await c.k(['patch', 'sa', 'quiet', '-p', '{"automountServiceAccountToken":false}']);
    await c.k(['run', 'quiet-pod', '--image=busybox:1.36', '--overrides={"spec":{"serviceAccountName":"quiet"}}']);
    assert.equal((await c.getJson('/api/v1/namespaces/default/pods/quiet-pod')).spec.volumes, undefined);
  });

  it('admission: a pod naming a missing ServiceAccount is forbidden, as upstream', async () => {
    const r = await c.kubectl(['run', 'ghost', '--image=busybox:1.36', '--overrides={"spec":{"serviceAccountName":"ghost"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): pods "ghost" is forbidden: error looking up service account default\/ghost: serviceaccount "ghost" not found/);
  });
});
