/**
 * Persistent storage with real containers (containerd + runc), with the real kubectl: a
 * StatefulSet pod whose volumeClaimTemplate is provisioned by the built-in local-path
 * provisioner writes a file (as a non-root user: the directory is world-writable, as
 * local-path's); the pod is deleted; the recreated pod (same claim, same node
 * by the volume's node affinity) finds the file and copies it to prove it read it; a pod
 * mounting the claim readOnly reads it but cannot write. The
 * suite reads both files on the host, in the volume's directory under the data dir; once
 * the set and its claim are deleted the Delete-policy volume and its directory go too.
 *
 * Needs root, containerd, runc, the CNI plugins and busybox-static (skipped with the
 * reason otherwise); realNodeSuite re-runs it inside a fresh network namespace
 * (`unshare --net`), so no packet can leave the machine.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { realNodeSuite } from '../cri-node.js';

const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  serviceName: web
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: skiff.local/busybox:latest
        imagePullPolicy: IfNotPresent
        env: [{name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}]
        securityContext: {runAsUser: 1000}
        command: [sh, -c, 'if [ -f /data/hello ]; then cp /data/hello /data/seen; else echo "written by $POD_UID" > /data/hello; fi; exec sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 64Mi}}
`;

realNodeSuite('persistent volumes with real containers', { file: import.meta.url, nodeIp: '192.168.83.1', node: 'storage-real', dataDirPrefix: 'skiff-storreal-', outerTimeoutMs: 300_000, innerTimeoutMs: 280_000, waitFor: 'ready', readyTimeoutMs: 120_000, innerTests: 1 }, (env) => {
    let c: Cluster;
    before(() => {
      c = env.c;
    });

    it('a StatefulSet pod writes to its claim; the recreated pod reads it; deleting the claim removes the data', async () => {
      await c.k(['apply', '-f', '-'], { input: sts });
      await c.k(['rollout', 'status', 'sts/web', '--timeout=120s'], {});
      const pvc = await c.getJson('/api/v1/namespaces/default/persistentvolumeclaims/data-web-0');
      assert.equal(pvc.status.phase, 'Bound');
      const pv = await c.getJson(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
      const dir: string = pv.spec.hostPath.path;
      assert.ok(dir.startsWith(join(c.dataDir, 'storage') + '/'), dir);
      const first = await c.getJson('/api/v1/namespaces/default/pods/web-0');
      await c.until('the file written', async () => existsSync(join(dir, 'hello')), 60_000);
      assert.equal(readFileSync(join(dir, 'hello'), 'utf8'), `written by ${first.metadata.uid}\n`);
      assert.ok(!existsSync(join(dir, 'seen')));

      await c.k(['delete', 'pod', 'web-0', '--wait=true', '--timeout=60s']);
      await c.until('a new web-0 Running', async () => {
        const p = await c.getJson('/api/v1/namespaces/default/pods/web-0').catch(() => undefined);
        return p?.metadata?.uid && p.metadata.uid !== first.metadata.uid && p.status?.phase === 'Running';
      }, 120_000);
      await c.until('the recreated pod read the file', async () => existsSync(join(dir, 'seen')), 60_000);
      assert.equal(readFileSync(join(dir, 'seen'), 'utf8'), `written by ${first.metadata.uid}\n`);

      // readOnly on the claim's volume makes the mount read-only (the data is still there).
      await c.k(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'ro' },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'skiff.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'cat /data/hello > /dev/termination-log; if touch /data/x 2>/dev/null; then echo writable >> /dev/termination-log; else echo read-only >> /dev/termination-log; fi'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
            volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0', readOnly: true } }],
          },
        }),
      });
      const t = await c.until('ro terminated', async () => (await c.getJson('/api/v1/namespaces/default/pods/ro')).status?.containerStatuses?.[0]?.state?.terminated, 60_000);
      assert.equal(t.message, `written by ${first.metadata.uid}\nread-only\n`);
      assert.ok(!existsSync(join(dir, 'x')));
      await c.k(['delete', 'pod', 'ro', '--wait=true', '--timeout=60s']);

      await c.k(['delete', 'sts', 'web', '--wait=true', '--timeout=60s']);
      await c.until('the pod gone', async () => (await c.kubectl(['get', 'pod', 'web-0'])).code !== 0, 60_000);
      await c.k(['delete', 'pvc', 'data-web-0', '--timeout=60s']);
      await c.until('the volume deleted', async () => (await c.kubectl(['get', 'pv', pv.metadata.name])).code !== 0, 60_000);
      assert.ok(!existsSync(dir), 'the Delete policy removed the directory on this node');
    });
});
