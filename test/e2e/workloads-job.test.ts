/**
 * Jobs end to end on simulated nodes with the real kubectl: completions within
 * parallelism (observed through a watch), backoffLimit with back-off, podFailurePolicy
 * FailJob on an exit code, Indexed completion covering each index once, validation of
 * restartPolicy, and the `kubectl get jobs` columns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';
import { watchLines } from './watch.js';

const condition = (job: any, type: string) => (job.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');

function jobYaml(name: string, spec: string, command: string, extraPod = ''): string {
  return `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${spec
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
  template:
    spec:
      restartPolicy: Never
${extraPod}      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", ${JSON.stringify(command)}]
`;
}

/** Replays pod watch events and returns the most pods that were active (not finished, not deleted) at once. */
function maxActive(events: any[]): number {
  const active = new Set<string>();
  let max = 0;
  for (const e of events) {
    const p = e.object;
    const live = e.type !== 'DELETED' && !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase);
    if (live) active.add(p.metadata.name);
    else active.delete(p.metadata.name);
    max = Math.max(max, active.size);
  }
  return max;
}

describe('jobs on simulated nodes', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '2']);
    await c.until('2 ready nodes', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 2);
  });
  after(async () => {
    await c.destroy();
  });

  const job = (name: string) => c.getJson(`/apis/batch/v1/namespaces/default/jobs/${name}`);

  it('completes 5 completions with never more than 2 pods active', async () => {
    const list = await c.getJson('/api/v1/namespaces/default/pods');
    const w = watchLines(c, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}&labelSelector=job-name%3Dfive`);
    await w.ready;
    try {
      await c.k(['apply', '-f', '-'], { input: jobYaml('five', 'completions: 5\nparallelism: 2', 'sleep 0.5') });
      const done = await c.until('job five Complete', async () => condition(await job('five'), 'Complete') && (await job('five')), 30_000);
      assert.equal(done.status.succeeded, 5);
      assert.equal(done.status.failed ?? 0, 0);
      assert.ok(done.status.completionTime && done.status.startTime);
      assert.ok(condition(done, 'SuccessCriteriaMet'), 'SuccessCriteriaMet precedes Complete');
      const pods = new Set(w.lines.map((e) => e.object.metadata.name));
      assert.equal(pods.size, 5, 'exactly 5 pods ran');
      const most = maxActive(w.lines);
      assert.ok(most <= 2 && most >= 1, `at most 2 pods active at once (saw ${most})`);
    } finally {
      w.close();
    }
    const table = await c.k(['get', 'jobs', 'five']);
    assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    assert.match(table, /five\s+Complete\s+5\/5\s+\d+s/);
  });

  it('fails with BackoffLimitExceeded after backoffLimit retries, backing off between them', async () => {
    await c.k(['apply', '-f', '-'], { input: jobYaml('flaky', 'backoffLimit: 1', 'exit 1') });
    const failed = await c.until('job flaky Failed', async () => condition(await job('flaky'), 'Failed') && (await job('flaky')), 40_000);
    assert.equal(condition(failed, 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(failed.status.failed, 2, 'the first try and one retry');
    const pods = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=job-name%3Dflaky')).items;
    assert.equal(pods.length, 2);
    const starts = pods.map((p: any) => Date.parse(p.metadata.creationTimestamp)).sort();
    assert.ok(starts[1] - starts[0] >= 9_000, `the retry waited out the 10 s back-off (${starts[1] - starts[0]} ms)`);
    assert.match(await c.k(['get', 'job', 'flaky']), /flaky\s+Failed\s+0\/1/);
    const events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=flaky']);
    assert.match(events, /BackoffLimitExceeded/);
  });

  it('fails at once on exit code 42 under podFailurePolicy FailJob', async () => {
    const policy = 'backoffLimit: 6\npodFailurePolicy:\n  rules:\n  - action: FailJob\n    onExitCodes: {containerName: main, operator: In, values: [42]}';
    await c.k(['apply', '-f', '-'], { input: jobYaml('answer', policy, 'exit 42') });
    const failed = await c.until('job answer Failed', async () => condition(await job('answer'), 'Failed') && (await job('answer')), 20_000);
    const cond = condition(failed, 'Failed');
    assert.equal(cond.reason, 'PodFailurePolicy');
    assert.match(cond.message, /exit code 42/);
    assert.equal(failed.status.failed, 1, 'no retry despite backoffLimit 6');
  });

  it('runs an Indexed job covering each index exactly once', async () => {
    await c.k(['apply', '-f', '-'], { input: jobYaml('indexed', 'completions: 4\nparallelism: 2\ncompletionMode: Indexed', 'sleep 0.3') });
    const done = await c.until('job indexed Complete', async () => condition(await job('indexed'), 'Complete') && (await job('indexed')), 30_000);
    assert.equal(done.status.completedIndexes, '0-3');
    assert.equal(done.status.succeeded, 4);
    const pods = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=job-name%3Dindexed')).items;
    const indexes = pods.filter((p: any) => p.status.phase === 'Succeeded').map((p: any) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']);
    assert.deepEqual(indexes.sort(), ['0', '1', '2', '3']);
    for (const p of pods) {
      const env = p.spec.containers[0].env ?? [];
      assert.ok(env.some((e: any) => e.name === 'JOB_COMPLETION_INDEX'), 'the index reaches the container as JOB_COMPLETION_INDEX');
      assert.match(p.metadata.name, new RegExp(`^indexed-${p.metadata.annotations['batch.kubernetes.io/job-completion-index']}-`));
    }
  });

  it('rejects restartPolicy Always with a Status naming the field', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: jobYaml('bad', 'completions: 1', 'true').replace('restartPolicy: Never', 'restartPolicy: Always') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
  });

  it('suspends and resumes a job, and removes a finished one after ttlSecondsAfterFinished', async () => {
    await c.k(['apply', '-f', '-'], { input: jobYaml('later', 'suspend: true\nttlSecondsAfterFinished: 1', 'true') });
    await c.until('Suspended condition', async () => condition(await job('later'), 'Suspended'), 10_000);
    assert.equal((await c.getJson('/api/v1/namespaces/default/pods?labelSelector=job-name%3Dlater')).items.length, 0);
    assert.match(await c.k(['get', 'job', 'later']), /later\s+Suspended\s+0\/1/);
    await c.k(['patch', 'job', 'later', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await c.until('job later deleted by its TTL', async () => (await c.raw('GET', '/apis/batch/v1/namespaces/default/jobs/later')).code === 404, 20_000);
  });
});
