/**
 * Container configuration end to end on a simulated node with the real kubectl: a pod
 * whose env needs a Secret that does not exist yet waits in CreateContainerConfigError
 * (as `kubectl get pods` shows on a real cluster, with the kubelet's event), and starts
 * as soon as `kubectl create secret` makes it; and the API accepts every way a pod can
 * refer to ConfigMaps and Secrets. Simulated nodes run no containers, so environment
 * values and file contents are covered by the unit tests and volumes-real.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

describe('container configuration on a simulated node', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.until('a ready node', async () => (await c.getJson('/api/v1/nodes')).items.some((n: any) => n.spec?.podCIDR));
  });
  after(async () => {
    await c.destroy();
  });

  const pod = (name: string) => c.getJson(`/api/v1/namespaces/default/pods/${name}`);

  it('waits in CreateContainerConfigError for a missing Secret, then runs once it is created', async () => {
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: needs-secret}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
    env:
    - name: PASSWORD
      valueFrom:
        secretKeyRef: {name: db-creds, key: password}
`,
    });
    const waiting = await c.until('CreateContainerConfigError', async () => {
      const p = await pod('needs-secret');
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' && w;
    });
    assert.equal(waiting.message, 'secret "db-creds" not found');
    assert.match(await c.k(['get', 'pod', 'needs-secret', '--no-headers']), /needs-secret\s+0\/1\s+CreateContainerConfigError\s+0\s/);
    await c.until('the Failed event', async () => {
      const ev = await c.getJson('/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dneeds-secret');
      return ev.items.some((e: any) => e.reason === 'Failed' && e.type === 'Warning' && e.message === 'Error: secret "db-creds" not found');
    });

    // kubectl describe finds the kubelet's event (it selects events by the Pod's kind and uid).
    assert.match(await c.k(['describe', 'pod', 'needs-secret']), /Warning\s+Failed\s+.+\s+kubelet\s+Error: secret "db-creds" not found/);

    // The Secret's arrival resyncs the pod at once (not only at the 10 s retry).
    await c.k(['create', 'secret', 'generic', 'db-creds', '--from-literal=password=s3cret']);
    await c.until('Running', async () => (await pod('needs-secret')).status?.phase === 'Running', 8_000);
  });

  it('accepts every object reference a pod can make to ConfigMaps and Secrets (strict field validation)', async () => {
    const out = await c.k(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: refs}
spec:
  containers:
  - name: app
    image: busybox:1.36
    envFrom:
    - configMapRef: {name: a, optional: true}
    - secretRef: {name: b, optional: true}
      prefix: B_
    env:
    - name: FROM_CM
      valueFrom: {configMapKeyRef: {name: a, key: ex, optional: true}}
    - name: FROM_SECRET
      valueFrom: {secretKeyRef: {name: b, key: why, optional: true}}
  volumes:
  - name: cm
    configMap: {name: a, optional: true, items: [{key: x, path: x.txt, mode: 0400}]}
  - name: sec
    secret: {secretName: b, optional: true}
  - name: all
    projected:
      sources:
      - configMap: {name: a, optional: true}
      - secret: {name: b, optional: true}
      - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
`,
    });
    assert.match(out, /pod\/refs created \(server dry run\)/);
    // The published schema has the inlined `name`, as upstream's (kubectl explain reads it).
    assert.match(await c.k(['explain', 'pod.spec.containers.env.valueFrom.secretKeyRef']), /\n\s+name\s+<string>/);
  });
});
