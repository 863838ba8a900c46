/**
 * The agent's pod lifecycle end to end on a simulated node with the real kubectl: exec
 * probes run against the simulated runtime's per-container files (see
 * src/agent/runtime/sim-script.ts), so a container's own command decides when it turns
 * unhealthy. Shows liveness restarts (same pod uid, restartCount grows), readiness that
 * only flips Ready, a startup probe holding back liveness, an init container retried,
 * CrashLoopBackOff in `kubectl get pods`, graceful and forced deletion, and
 * activeDeadlineSeconds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

function podYaml(name: string, body: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${body
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;
}

describe('pod lifecycle on a simulated node', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.until('a ready node', async () => (await c.getJson('/api/v1/nodes')).items.some((n: any) => n.spec?.podCIDR));
  });
  after(async () => {
    await c.destroy();
  });

  const pod = (name: string) => c.getJson(`/api/v1/namespaces/default/pods/${name}`);
  const status = (p: any, name?: string) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s: any) => !name || s.name === name);
  const cond = (p: any, type: string) => (p.status?.conditions ?? []).find((x: any) => x.type === type);
  const apply = (yaml: string) => c.k(['apply', '-f', '-'], { input: yaml });
  const events = async (name: string) => JSON.parse(await c.k(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
  const statusColumn = async (name: string) => (await c.k(['get', 'pod', name, '--no-headers'])).trim().split(/\s+/)[2];

  it('a liveness exec probe that starts failing restarts the container, not the pod', async () => {
    await apply(
      podYaml(
        'live',
        `
containers:
- name: app
  image: busybox
  command: ["sh", "-c", "touch /tmp/healthy; sleep 2; rm -f /tmp/healthy; sleep 600"]
  livenessProbe:
    exec: {command: ["cat", "/tmp/healthy"]}
    periodSeconds: 1
    failureThreshold: 1`,
      ),
    );
    const first = await c.until('running', async () => {
      const p = await pod('live');
      return p.status?.phase === 'Running' && p;
    });
    const restarted = await c.until('a restart', async () => {
      const p = await pod('live');
      return (status(p)?.restartCount ?? 0) >= 1 && p;
    });
    assert.equal(restarted.metadata.uid, first.metadata.uid, 'the same pod');
    assert.ok(status(restarted).lastState.terminated, 'lastState shows the killed container');
    const ev = await c.until('events', async () => {
      const e = await events('live');
      return e.some((x) => x.reason === 'Killing') && e;
    });
    const unhealthy = ev.find((x) => x.reason === 'Unhealthy');
    assert.equal(unhealthy.type, 'Warning');
    assert.equal(unhealthy.message.trim(), "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory");
    assert.equal(unhealthy.involvedObject.fieldPath, 'spec.containers{app}');
    assert.equal(ev.find((x) => x.reason === 'Killing').message, 'Container app failed liveness probe, will be restarted');
    const desc = await c.k(['describe', 'pod', 'live']);
    assert.match(desc, /Liveness probe failed/);
  });

  it('a failing readiness probe sets Ready=False and never restarts', async () => {
    await apply(
      podYaml(
        'unready',
        `
containers:
- name: app
  image: busybox
  command: ["sleep", "600"]
  readinessProbe:
    exec: {command: ["cat", "/tmp/ready"]}
    periodSeconds: 1
    failureThreshold: 1`,
      ),
    );
    await c.until('failed readiness probes', async () => (await events('unready')).filter((e) => e.reason === 'Unhealthy').some((e) => (e.count ?? 1) >= 3));
    // Watch it for a few probe periods: failing readiness must never restart it.
    await new Promise((r) => setTimeout(r, 3000));
    const p = await pod('unready');
    assert.equal(p.status.phase, 'Running');
    assert.equal(cond(p, 'Ready').status, 'False');
    assert.equal(cond(p, 'ContainersReady').message, 'containers with unready status: [app]');
    assert.equal(status(p).ready, false);
    assert.equal(status(p).restartCount, 0);
    const row = (await c.k(['get', 'pod', 'unready', '--no-headers'])).trim().split(/\s+/);
    assert.deepEqual(row.slice(1, 4), ['0/1', 'Running', '0']);
  });

  it('a startup probe holds back liveness until it succeeds', async () => {
    await apply(
      podYaml(
        'slowstart',
        `
containers:
- name: app
  image: busybox
  command: ["sh", "-c", "sleep 3; touch /tmp/started; sleep 600"]
  startupProbe:
    exec: {command: ["cat", "/tmp/started"]}
    periodSeconds: 1
    failureThreshold: 30
  livenessProbe:
    exec: {command: ["cat", "/tmp/started"]}
    periodSeconds: 1
    failureThreshold: 1`,
      ),
    );
    const p = await c.until('started and ready', async () => {
      const p = await pod('slowstart');
      return status(p)?.started && status(p)?.ready && p;
    });
    assert.equal(status(p).restartCount, 0, 'liveness would have failed during the first 3 s');
    const ev = await events('slowstart');
    assert.ok(ev.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Startup probe failed: ')), 'the startup probe failed while the app started');
    assert.ok(!ev.some((e) => e.message.startsWith('Liveness probe failed')), 'liveness never ran before startup succeeded');
  });

  it('an init container that exits 1 is retried, with Init:CrashLoopBackOff', async () => {
    await apply(
      podYaml(
        'initfail',
        `
initContainers:
- name: init
  image: busybox
  command: ["sh", "-c", "exit 1"]
containers:
- name: app
  image: busybox
  command: ["sleep", "600"]`,
      ),
    );
    const p = await c.until('a retried init container', async () => {
      const p = await pod('initfail');
      return (status(p, 'init')?.restartCount ?? 0) >= 1 && status(p, 'init').state.waiting?.reason === 'CrashLoopBackOff' && p;
    });
    assert.equal(p.status.phase, 'Pending');
    assert.equal(cond(p, 'Initialized').status, 'False');
    assert.equal(status(p, 'app').state.waiting.reason, 'PodInitializing');
    assert.equal(await statusColumn('initfail'), 'Init:CrashLoopBackOff');
  });

  it('a crashing container shows CrashLoopBackOff in kubectl get pods', async () => {
    await apply(
      podYaml(
        'crash',
        `
containers:
- name: app
  image: busybox
  command: ["sh", "-c", "exit 2"]`,
      ),
    );
    await c.until('CrashLoopBackOff in the STATUS column', async () => (await statusColumn('crash')) === 'CrashLoopBackOff');
    const p = await pod('crash');
    assert.match(status(p).state.waiting.message, new RegExp(`^back-off 10s restarting failed container=app pod=crash_default\\(${p.metadata.uid}\\)$`));
    assert.equal(status(p).lastState.terminated.exitCode, 2);
    assert.equal(status(p).lastState.terminated.reason, 'Error');
    // After the 10 s back-off it restarts, crashes again and waits twice as long.
    const later = await c.until('a longer back-off', async () => {
      const p = await pod('crash');
      return /^back-off 20s /.test(status(p).state.waiting?.message ?? '') && p;
    });
    assert.equal(status(later).restartCount, 2);
    const backoff = (await events('crash')).find((e) => e.reason === 'BackOff');
    assert.equal(backoff.message, `Back-off restarting failed container app in pod crash_default(${p.metadata.uid})`);
  });

  it('deletion runs preStop and waits for the grace period; --force removes at once', async () => {
    await apply(
      podYaml(
        'graceful',
        `
terminationGracePeriodSeconds: 3
containers:
- name: app
  image: busybox
  command: ["sh", "-c", "trap '' TERM; sleep 600"]
  lifecycle:
    preStop:
      exec: {command: ["sh", "-c", "touch /tmp/bye"]}`,
      ),
    );
    await c.until('running', async () => (await pod('graceful')).status?.phase === 'Running');
    const t0 = Date.now();
    await c.k(['delete', 'pod', 'graceful', '--wait=true']);
    assert.ok(Date.now() - t0 >= 2500, 'the container ignoring SIGTERM is killed only when the grace period ends');
    assert.equal((await c.raw('GET', '/api/v1/namespaces/default/pods/graceful')).code, 404);

    await apply(podYaml('forced', `terminationGracePeriodSeconds: 300\ncontainers:\n- name: app\n  image: busybox\n  command: ["sh", "-c", "trap '' TERM; sleep 600"]`));
    await c.until('running', async () => (await pod('forced')).status?.phase === 'Running');
    const r = await c.kubectl(['delete', 'pod', 'forced', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Immediate deletion does not wait for confirmation/);
    assert.equal((await c.raw('GET', '/api/v1/namespaces/default/pods/forced')).code, 404);
  });

  it('activeDeadlineSeconds fails the pod with DeadlineExceeded', async () => {
    await apply(podYaml('deadline', `activeDeadlineSeconds: 2\ncontainers:\n- name: app\n  image: busybox\n  command: ["sleep", "600"]`));
    const p = await c.until('Failed', async () => {
      const p = await pod('deadline');
      return p.status?.phase === 'Failed' && p;
    });
    assert.equal(p.status.reason, 'DeadlineExceeded');
    assert.equal(p.status.message, 'Pod was active on the node longer than the specified deadline');
    assert.ok(status(p).state.terminated, 'the container was killed');
  });

  it('a sidecar runs beside the app and counts in READY', async () => {
    await apply(
      podYaml(
        'sidecar',
        `
initContainers:
- name: log-shipper
  image: busybox
  restartPolicy: Always
  command: ["sh", "-c", "touch /tmp/up; sleep 600"]
  startupProbe:
    exec: {command: ["cat", "/tmp/up"]}
    periodSeconds: 1
containers:
- name: app
  image: busybox
  command: ["sleep", "600"]`,
      ),
    );
    await c.until('2/2 Running', async () => {
      const row = (await c.k(['get', 'pod', 'sidecar', '--no-headers'])).trim().split(/\s+/);
      return row[1] === '2/2' && row[2] === 'Running';
    });
    const p = await pod('sidecar');
    assert.equal(status(p, 'log-shipper').started, true);
    assert.equal(cond(p, 'Initialized').status, 'True');
  });

  it('reports the QoS class as upstream computes it', async () => {
    await apply(
      podYaml(
        'qos',
        `
containers:
- name: a
  image: busybox
  command: ["sleep", "600"]
  resources: {limits: {cpu: "1", memory: 64Mi}, requests: {cpu: 1000m, memory: 64Mi}}
- name: b
  image: busybox
  command: ["sleep", "600"]
  resources: {limits: {cpu: 500m, memory: 32Mi}}`,
      ),
    );
    assert.equal((await pod('qos')).status.qosClass, 'Guaranteed');
    await apply(podYaml('burstable', `containers:\n- name: a\n  image: busybox\n  command: ["sleep", "600"]\n  resources: {requests: {memory: 1Mi}}`));
    assert.equal((await pod('burstable')).status.qosClass, 'Burstable');
  });
});
