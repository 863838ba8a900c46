/**
 * A highly available control plane end to end: 3 etcd members on loopback, 2 `skiff
 * server`s joined by one token (each running a controller manager and a scheduler under
 * leader election, Kubernetes' default 15 s / 10 s / 2 s), and 3 simulated nodes in a
 * `skiff agent` that knows both servers. A rolling update started through server 1
 * finishes through server 2 after server 1 is killed with SIGKILL mid-rollout, with no
 * duplicate or missing pods; killing an etcd member (the raft leader) interrupts no
 * write; kubectl on either server sees the same objects. Leader failover time is printed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, etcdAvailable } from '../../src/store/etcd-process.js';
import { Cluster } from './cluster.js';

const root = new URL('../../..', import.meta.url).pathname;
const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';
const token = 'ha-e2e-token';
const LEASES = ['kube-controller-manager', 'kube-scheduler'];

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 6
  minReadySeconds: 1
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "${image}"}]}
`;

const identityOf = (c: Cluster) => `${hostname()}_${readFileSync(join(c.dataDir, 'server-id'), 'utf8').trim()}`;
const ready = (p: any) => (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True');
const live = (ps: any[]) => ps.filter((p) => !p.metadata.deletionTimestamp);

async function holders(c: Cluster): Promise<string[]> {
  return Promise.all(LEASES.map(async (l) => (await c.getJson(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${l}`)).spec.holderIdentity));
}

async function names(c: Cluster, what: string): Promise<string> {
  return (await c.k(['get', what, '-A', '-o', 'name'])).split('\n').sort().join('\n');
}

describe('HA: 3 etcd members, 2 servers, an agent that knows both', { skip }, () => {
  let etcd: EtcdCluster;
  let s1: Cluster;
  let s2: Cluster;
  let agent: ChildProcess | undefined;
  let agentLog = '';

  before(async () => {
    etcd = await EtcdCluster.start(3);
    const args = ['--datastore-endpoint', etcd.endpoints.join(','), '--token', token];
    s1 = await Cluster.start(args);
    // Server 1 leads both roles before server 2 exists.
    await s1.until('server 1 leading', async () => (await holders(s1)).every((h) => h === identityOf(s1)));
    s2 = await Cluster.start(args);
    agent = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'agent', '--simulated', '--simulated-nodes', '3', '--node-name', 'ha', '--simulated-start-delay', '200', '--server', `${s1.url},${s2.url}`, '--token', token], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d) => (agentLog += d));
    agent.stderr!.on('data', (d) => (agentLog += d));
    await s2.until('3 ready nodes', async () => (await s2.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR && n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 3);
  });

  after(async () => {
    agent?.kill('SIGKILL');
    await s1?.destroy();
    await s2?.destroy();
    await etcd?.stop();
  });

  it('kubectl on either server sees the same objects', async () => {
    await s1.k(['create', 'namespace', 'shared']);
    await s2.k(['create', 'configmap', 'via-two', '-n', 'shared', '--from-literal=k=v']);
    assert.equal(await s1.k(['get', 'configmap', 'via-two', '-n', 'shared', '-o', 'jsonpath={.data.k}']), 'v');
    assert.equal(await names(s1, 'namespaces,configmaps,nodes,leases'), await names(s2, 'namespaces,configmaps,nodes,leases'));
  });

  it('a rollout started through server 1 completes through server 2 after server 1 is SIGKILLed', async (t) => {
    await s1.k(['apply', '-f', '-'], { input: deployment('busybox:1.36') });
    await s1.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);

    // Watch the pods through server 2 all along: the most pods alive at once, and every
    // pod of the new template ever seen (a second active controller would make extras).
    let sampling = true;
    let maxLive = 0;
    let minReady = Infinity;
    const seenNew = new Set<string>();
    const sampler = (async () => {
      while (sampling) {
        const ps = live((await s2.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items);
        maxLive = Math.max(maxLive, ps.length);
        minReady = Math.min(minReady, ps.filter(ready).length);
        for (const p of ps) if (p.spec.containers[0].image === 'busybox:1.37') seenNew.add(p.metadata.name);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    await s1.k(['set', 'image', 'deployment/web', 'web=busybox:1.37']);
    await s1.until('the rollout under way', async () => seenNew.size >= 1, 20_000);
    const killedAt = Date.now();
    await s1.kill();
    assert.ok(seenNew.size < 6, 'server 1 was killed mid-rollout');

    // Leader failover: how long until server 2 holds each lease.
    const took: Record<string, number> = {};
    await s2.until(
      'server 2 leading both roles',
      async () => {
        const hs = await holders(s2);
        hs.forEach((h, i) => {
          if (h === identityOf(s2) && took[LEASES[i]] === undefined) took[LEASES[i]] = (Date.now() - killedAt) / 1000;
        });
        return hs.every((h) => h === identityOf(s2));
      },
      30_000,
    );
    const msg = `leader failover after SIGKILL of the leading server: controller-manager ${took['kube-controller-manager'].toFixed(2)} s, scheduler ${took['kube-scheduler'].toFixed(2)} s (lease 15 s)`;
    t.diagnostic(msg);
    assert.ok(took['kube-controller-manager'] <= 15.5 && took['kube-scheduler'] <= 15.5, msg);

    await s2.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    sampling = false;
    await sampler;

    const ps = live((await s2.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items);
    assert.equal(ps.length, 6);
    assert.ok(ps.every((p) => p.spec.containers[0].image === 'busybox:1.37' && ready(p) && p.spec.nodeName?.startsWith('ha-')));
    assert.equal(seenNew.size, 6, `exactly 6 new pods were ever made (saw ${[...seenNew].join(', ')})`);
    assert.ok(maxLive <= 7, `never more than replicas + maxSurge pods (saw ${maxLive})`);
    assert.ok(minReady >= 6, `never fewer than replicas - maxUnavailable ready (saw ${minReady})`);
    const rs = (await s2.getJson('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).items;
    assert.equal(rs.length, 2);
    assert.equal(rs.reduce((a: number, r: any) => a + r.status.replicas, 0), 6);
    assert.match(agentLog, /failing over/, 'the agent moved to server 2');
  });

  it('killing the etcd leader interrupts no write, and the controllers carry on', async (t) => {
    let writing = true;
    let ok = 0;
    let slowest = 0;
    const failures: string[] = [];
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const t0 = Date.now();
        const r = await s2.raw('POST', '/api/v1/namespaces/shared/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w-${i}` } }) });
        slowest = Math.max(slowest, Date.now() - t0);
        if (r.code === 201) ok++;
        else failures.push(`w-${i}: ${r.code} ${r.body}`);
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    const victim = await etcd.leaderIndex();
    etcd.kill(victim);
    await new Promise((r) => setTimeout(r, 4000));
    writing = false;
    await writer;
    const msg = `etcd leader (member ${victim}) killed: ${ok} creates, ${failures.length} failed, slowest ${slowest} ms`;
    t.diagnostic(msg);
    assert.deepEqual(failures, []);
    // A write in flight at the leader's death waits for the request deadline (2 s), then is retried.
    assert.ok(slowest < 4000, msg);
    const cms = (await s2.getJson('/api/v1/namespaces/shared/configmaps')).items.filter((c: any) => c.metadata.name.startsWith('w-'));
    assert.equal(cms.length, ok);
    // Watches survived too: the controllers (on server 2) and the agent act on a scale-up.
    await s2.k(['scale', 'deployment/web', '--replicas=8']);
    await s2.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    assert.equal(live((await s2.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items).filter(ready).length, 8);
  });

  it('server 1, restarted, rejoins with the shared secrets and sees what server 2 sees', async () => {
    await s1.restart();
    assert.equal(s1.creds!.caPem, s2.creds!.caPem);
    const what = 'namespaces,configmaps,deployments,replicasets,pods,nodes';
    assert.equal(await names(s1, what), await names(s2, what));
    // Server 1's kubeconfig works against server 2 as it is.
    assert.match(await s1.k(['--server', s2.url, 'get', 'deployment', 'web', '-o', 'name']), /deployment.apps\/web/);
  });
});
