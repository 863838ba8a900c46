/**
 * The API server through the real kubectl: multi-document apply (created, unchanged,
 * configured), tables, watch, label/annotate, the three patch types, scale, server-side
 * apply and its conflicts, delete -f, an older kubectl.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Cluster, kubectlVersion } from './cluster.js';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  color: blue
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  namespace: shop
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: nginx
  ports:
  - port: 80
    targetPort: 80
`;

const headers = (out: string) => out.split('\n')[0].trim().split(/\s{2,}/);

describe('kubectl apply and friends', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--disable-controllers']);
  });
  after(async () => {
    await c.destroy();
  });

  it('applies a multi-document manifest, then reports unchanged, then configured', async () => {
    const first = await c.k(['apply', '-f', '-'], { input: MANIFEST });
    assert.match(first, /namespace\/shop created/);
    assert.match(first, /configmap\/settings created/);
    assert.match(first, /secret\/creds created/);
    assert.match(first, /deployment.apps\/nginx-deployment created/);
    assert.match(first, /service\/web created/);
    const again = await c.k(['apply', '-f', '-'], { input: MANIFEST });
    // A Secret applied with stringData always reports configured, on real clusters too (kubernetes#87736).
    assert.equal(again.match(/unchanged/g)?.length, 4, again);
    assert.match(again, /secret\/creds configured/);
    const edited = await c.k(['apply', '-f', '-'], { input: MANIFEST.replace('replicas: 3', 'replicas: 4') });
    assert.match(edited, /deployment.apps\/nginx-deployment configured/);
    assert.equal(JSON.parse(await c.k(['get', 'deploy', 'nginx-deployment', '-n', 'shop', '-o', 'json'])).spec.replicas, 4);
  });

  it('prints the same table columns as a real cluster', async () => {
    assert.deepEqual(headers(await c.k(['get', 'deployments', '-n', 'shop'])), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(headers(await c.k(['get', 'configmaps', '-n', 'shop'])), ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(headers(await c.k(['get', 'secrets', '-n', 'shop'])), ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(headers(await c.k(['get', 'services', '-n', 'shop'])), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.deepEqual(headers(await c.k(['get', 'deployments', '-n', 'shop', '-o', 'wide'])), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const ns = await c.k(['get', 'namespaces']);
    assert.deepEqual(headers(ns), ['NAME', 'STATUS', 'AGE']);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(ns, new RegExp(`^${n}\\s+Active`, 'm'));
    const secret = await c.k(['get', 'secret', 'creds', '-n', 'shop']);
    assert.match(secret, /creds\s+Opaque\s+1/);
    const svc = await c.k(['get', 'svc', 'web', '-n', 'shop', '-o', 'wide']);
    assert.match(svc, /web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\S+\s+app=nginx/);
  });

  it('filters with label and field selectors, and round-trips -o json/yaml', async () => {
    await c.k(['create', 'configmap', 'other', '-n', 'shop', '--from-literal=x=y']);
    await c.k(['label', 'configmap', 'other', '-n', 'shop', 'tier=db']);
    const byLabel = await c.k(['get', 'cm', '-n', 'shop', '-l', 'tier=db', '-o', 'name']);
    assert.equal(byLabel.trim(), 'configmap/other');
    const notIn = await c.k(['get', 'cm', '-n', 'shop', '-l', 'tier notin (db)', '-o', 'name']);
    assert.ok(!notIn.includes('configmap/other') && notIn.includes('configmap/settings'));
    const byField = await c.k(['get', 'cm', '-n', 'shop', '--field-selector', 'metadata.name=settings', '-o', 'name']);
    assert.equal(byField.trim(), 'configmap/settings');
    const yaml = await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'yaml']);
    assert.match(yaml, /color: blue/);
    const replaced = await c.k(['replace', '-f', '-'], { input: yaml.replace('color: blue', 'color: red') });
    assert.match(replaced, /configmap\/settings replaced/);
  });

  it('labels and annotates, refusing to overwrite without --overwrite', async () => {
    await c.k(['label', 'deploy', 'nginx-deployment', '-n', 'shop', 'team=a']);
    const r = await c.kubectl(['label', 'deploy', 'nginx-deployment', '-n', 'shop', 'team=b']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already has a value \(a\), and --overwrite is false/);
    await c.k(['label', 'deploy', 'nginx-deployment', '-n', 'shop', 'team=b', '--overwrite']);
    await c.k(['annotate', 'deploy', 'nginx-deployment', '-n', 'shop', 'owner=ops']);
    const d = JSON.parse(await c.k(['get', 'deploy', 'nginx-deployment', '-n', 'shop', '-o', 'json']));
    assert.equal(d.metadata.labels.team, 'b');
    assert.equal(d.metadata.annotations.owner, 'ops');
  });

  it('patches with strategic, merge and json patches', async () => {
    await c.k(['patch', 'deploy', 'nginx-deployment', '-n', 'shop', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}']);
    let d = JSON.parse(await c.k(['get', 'deploy', 'nginx-deployment', '-n', 'shop', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers.length, 1, 'containers merged by name, not replaced');
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
    await c.k(['patch', 'cm', 'settings', '-n', 'shop', '--type=merge', '-p', '{"data":{"size":"xl","color":null}}']);
    const cm = JSON.parse(await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json']));
    assert.deepEqual(cm.data, { size: 'xl' });
    await c.k(['patch', 'deploy', 'nginx-deployment', '-n', 'shop', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]']);
    d = JSON.parse(await c.k(['get', 'deploy', 'nginx-deployment', '-n', 'shop', '-o', 'json']));
    assert.equal(d.spec.replicas, 2);
    const bad = await c.kubectl(['patch', 'deploy', 'nginx-deployment', '-n', 'shop', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
    assert.notEqual(bad.code, 0);
  });

  it('scales, honouring --current-replicas', async () => {
    await c.k(['scale', 'deploy', 'nginx-deployment', '-n', 'shop', '--replicas=5']);
    assert.equal(JSON.parse(await c.k(['get', 'deploy', 'nginx-deployment', '-n', 'shop', '-o', 'json'])).spec.replicas, 5);
    const r = await c.kubectl(['scale', 'deploy', 'nginx-deployment', '-n', 'shop', '--replicas=6', '--current-replicas=3']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Expected replicas to be 3, was 5/);
  });

  it('server-side apply creates, conflicts with another manager, and --force-conflicts wins', async () => {
    const doc = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: ssa}
  template:
    metadata:
      labels: {app: ssa}
    spec:
      containers:
      - name: c
        image: busybox:1.36
`;
    assert.match(await c.k(['apply', '--server-side', '-f', '-'], { input: doc }), /deployment.apps\/ssa serverside-applied/);
    assert.match(await c.k(['apply', '--server-side', '-f', '-'], { input: doc }), /serverside-applied/);
    await c.k(['scale', 'deploy', 'ssa', '-n', 'shop', '--replicas=7']);
    const conflict = await c.kubectl(['apply', '--server-side', '-f', '-'], { input: doc });
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "kubectl[^"]*".*\.spec\.replicas/);
    await c.k(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: doc });
    const d = JSON.parse(await c.k(['get', 'deploy', 'ssa', '-n', 'shop', '-o', 'json', '--show-managed-fields']));
    assert.equal(d.spec.replicas, 2);
    assert.ok(d.metadata.managedFields.some((m: any) => m.manager === 'kubectl' && m.operation === 'Apply'));
  });

  it('streams changes to kubectl get -w', async () => {
    const w = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'get', 'configmaps', '-n', 'shop', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    w.stdout.on('data', (d) => (out += d));
    try {
      await c.until('the watch to start', async () => out.includes('settings'));
      await c.k(['create', 'configmap', 'watched', '-n', 'shop', '--from-literal=a=b']);
      await c.until('the new configmap on the watch', async () => /ADDED\s+watched/.test(out));
    } finally {
      w.kill();
    }
  });

  it('lists API resources', async () => {
    const out = await c.k(['api-resources']);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(out, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    assert.match(out, /^leases\s+coordination.k8s.io\/v1\s+true\s+Lease$/m);
    assert.match(out, /^events\s+ev\s+events.k8s.io\/v1\s+true\s+Event$/m);
  });

  it('works with an older kubectl too', async (t) => {
    const old = kubectlVersion(27) ?? kubectlVersion(28);
    if (!old) return t.skip('no kubectl.1.27/1.28 installed beside kubectl');
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-old\n  namespace: shop\ndata:\n  k: v\n`;
    assert.match(await c.k(['apply', '-f', '-'], { input: cm, bin: old }), /configmap\/from-old created/);
    assert.match(await c.k(['get', 'cm', 'from-old', '-n', 'shop'], { bin: old }), /from-old\s+1/);
    assert.match(await c.k(['delete', 'cm', 'from-old', '-n', 'shop'], { bin: old }), /deleted/);
  });

  it('deletes what a manifest declared', async () => {
    const out = await c.k(['delete', '-f', '-', '--wait=false'], { input: MANIFEST.split('---').slice(1).join('---') });
    assert.match(out, /configmap "settings" deleted/);
    const r = await c.kubectl(['get', 'cm', 'settings', '-n', 'shop']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /NotFound/);
  });
});
