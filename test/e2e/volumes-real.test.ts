/**
 * Volumes and configuration with real containers (containerd + runc), with the real
 * kubectl: a pod whose env comes from a Secret and the downward API, with a configMap
 * volume, a memory-backed emptyDir and a hostPath. The container reports what it sees
 * into the hostPath directory (so the suite needs neither exec nor logs): its env, the
 * mounted configMap file re-read every half second, /etc/hosts, its tmpfs mount and the
 * kube-api-access service-account files (a token that authenticates to the API). The
 * ConfigMap is then changed and the new content appears in the running container
 * without a restart, through the atomic ..data swap.
 *
 * Needs root, containerd, runc, the CNI plugins and busybox-static (skipped with the
 * reason otherwise). realNodeSuite re-runs the suite inside a fresh network namespace
 * (`unshare --net`), so no packet from it can leave the machine; mounts stay shared with
 * the host, so the hostPath directory is visible to both.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { realNodeSuite } from '../cri-node.js';

realNodeSuite('volumes with real containers', { file: import.meta.url, nodeIp: '192.168.82.1', node: 'vol-real', dataDirPrefix: 'skiff-volreal-', outerTimeoutMs: 300_000, innerTimeoutMs: 280_000, waitFor: 'ready', readyTimeoutMs: 120_000, innerTests: 3 }, (env) => {
    let c: Cluster;
    const out = mkdtempSync(join(tmpdir(), 'skiff-volreal-out-'));
    const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '');
    before(() => {
      c = env.c;
    });
    after(() => {
      rmSync(out, { recursive: true, force: true });
    });

    it('env from a Secret and the downward API, a configMap updated in place, /etc/hosts and a tmpfs emptyDir', async () => {
      await c.k(['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2']);
      await c.k(['create', 'configmap', 'site', '--from-literal=index.html=v1']);
      const script = [
        'echo "$PASSWORD|$POD_NAME|$MEM_LIMIT_MI" > /out/env',
        'cat /etc/hosts > /out/hosts',
        "grep ' /scratch ' /proc/mounts > /out/mounts",
        'cat /etc/site/index.html > /out/subpath',
        'cat /etc/podinfo/labels > /out/labels',
        'cd /var/run/secrets/kubernetes.io/serviceaccount && cat token > /out/sa-token && cat namespace > /out/sa-namespace && cat ca.crt > /out/sa-ca; cd /',
        'while true; do cat /cfg/index.html > /out/cfg.tmp && mv /out/cfg.tmp /out/cfg; sleep 0.5; done',
      ].join('; ');
      await c.k(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'reporter', labels: { app: 'reporter' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'main',
                image: 'skiff.local/busybox:latest',
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', script],
                resources: { limits: { memory: '64Mi' } },
                env: [
                  { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
                ],
                volumeMounts: [
                  { name: 'cfg', mountPath: '/cfg' },
                  { name: 'scratch', mountPath: '/scratch' },
                  { name: 'out', mountPath: '/out' },
                  { name: 'cfg', mountPath: '/etc/site/index.html', subPath: 'index.html' },
                  { name: 'podinfo', mountPath: '/etc/podinfo' },
                ],
              },
            ],
            volumes: [
              { name: 'cfg', configMap: { name: 'site' } },
              { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
              { name: 'out', hostPath: { path: out, type: 'Directory' } },
              { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
            ],
          },
        }),
      });
      await c.until('the container reports', async () => read('cfg') === 'v1', 120_000);
      assert.equal(read('env'), 'hunter2|reporter|64\n');
      const pod = await c.getJson('/api/v1/namespaces/default/pods/reporter');
      assert.match(read('hosts'), new RegExp(`^# Kubernetes-managed hosts file\\.\\n[\\s\\S]*\\n${pod.status.podIP.replace(/\./g, '\\.')}\\treporter\\n`));
      assert.match(read('mounts'), /^tmpfs \/scratch tmpfs .*size=16384k/);
      assert.equal(read('subpath'), 'v1'); // a file from a configMap through subPath
      assert.equal(read('labels'), 'app="reporter"');
      // The kube-api-access volume the ServiceAccount admission added: a bound token that
      // authenticates as the pod's ServiceAccount, the cluster CA and the namespace.
      assert.equal(read('sa-namespace'), 'default');
      assert.equal(read('sa-ca'), (await c.raw('GET', '/cacerts', { anonymous: true })).body);
      const claims = JSON.parse(Buffer.from(read('sa-token').split('.')[1], 'base64url').toString('utf8'));
      assert.deepEqual(claims['kubernetes.io'].pod, { name: 'reporter', uid: pod.metadata.uid });
      assert.equal(claims.exp - claims.iat, 3607);
      // RBAC: the ServiceAccount reads pods once bound to a role that allows it.
      await c.k(['create', 'role', 'pod-reader', '--verb=get', '--resource=pods']);
      await c.k(['create', 'rolebinding', 'default-pod-reader', '--role=pod-reader', '--serviceaccount=default:default']);
      await c.until('the token reads its pod', async () => (await c.raw('GET', '/api/v1/namespaces/default/pods/reporter', { anonymous: true, headers: { authorization: `Bearer ${read('sa-token')}` } })).code === 200);

      await c.k(['create', 'configmap', 'site', '--from-literal=index.html=v2', '--dry-run=client', '-o', 'yaml'], {}).then((yaml) => c.k(['replace', '-f', '-'], { input: yaml }));
      await c.until('the new content in the running container', async () => read('cfg') === 'v2', 60_000);
      const after = await c.getJson('/api/v1/namespaces/default/pods/reporter');
      assert.equal(after.status.containerStatuses[0].restartCount, 0);
      assert.equal(after.status.containerStatuses[0].containerID, pod.status.containerStatuses[0].containerID);
    });

    it('a container that exits shows its termination message', async () => {
      await c.k(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'last-words' },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'skiff.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo "out of cheese" > /dev/termination-log; exit 2'] }],
          },
        }),
      });
      const t = await c.until('terminated', async () => (await c.getJson('/api/v1/namespaces/default/pods/last-words')).status?.containerStatuses?.[0]?.state?.terminated, 60_000);
      assert.equal(t.exitCode, 2);
      assert.equal(t.message, 'out of cheese\n');
    });

    it('FallbackToLogsOnError takes the message from the log tail when the file is empty', async () => {
      await c.k(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'log-words' },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'skiff.local/busybox:latest', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'FallbackToLogsOnError', command: ['sh', '-c', 'echo starting; echo "panic: no cheese" >&2; exit 1'] }],
          },
        }),
      });
      const t = await c.until('terminated', async () => (await c.getJson('/api/v1/namespaces/default/pods/log-words')).status?.containerStatuses?.[0]?.state?.terminated, 60_000);
      assert.equal(t.exitCode, 1);
      // stdout and stderr reach the log through separate pipes: either order is the log's.
      assert.ok(['starting\npanic: no cheese\n', 'panic: no cheese\nstarting\n'].includes(t.message), JSON.stringify(t.message));
    });
});
