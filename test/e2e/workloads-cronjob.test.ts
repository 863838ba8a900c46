/**
 * CronJobs end to end on simulated nodes with the real kubectl, on the real clock with
 * `* * * * *` schedules (so this file takes two schedule ticks, up to ~2.5 minutes): Jobs
 * are created per tick and named by minute; Allow runs them side by side, Forbid skips
 * while one runs, Replace replaces it, history limits prune finished Jobs; a CronJob that
 * missed three hours of schedules starts one Job and reports it; bad schedules and time
 * zones are rejected naming the field.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

function cronJobYaml(name: string, policy: string, command: string, extra = ''): string {
  return `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}}
spec:
  schedule: "* * * * *"
  concurrencyPolicy: ${policy}
${extra}  jobTemplate:
    metadata:
      labels: {cron: ${name}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: busybox:1.36
            command: ["sh", "-c", ${JSON.stringify(command)}]
`;
}

describe('cronjobs on simulated nodes', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.until('a ready node', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 1);
  });
  after(async () => {
    await c.destroy();
  });

  const jobsOf = async (cj: string): Promise<any[]> => (await c.getJson(`/apis/batch/v1/namespaces/default/jobs?labelSelector=cron%3D${cj}`)).items.filter((j: any) => !j.metadata.deletionTimestamp);
  const cronJob = (name: string) => c.getJson(`/apis/batch/v1/namespaces/default/cronjobs/${name}`);
  const reasons = async (name: string) => (await c.getJson(`/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${name}`)).items.map((e: any) => e.reason);

  it('rejects an unparseable schedule and an unknown time zone, naming the field', async () => {
    const bad = await c.kubectl(['apply', '-f', '-'], { input: cronJobYaml('bad', 'Allow', 'true').replace('"* * * * *"', '"61 * * * *"') });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.schedule: Invalid value: "61 \* \* \* \*"/);
    const six = await c.kubectl(['apply', '-f', '-'], { input: cronJobYaml('bad', 'Allow', 'true').replace('"* * * * *"', '"* * * * * *"') });
    assert.match(six.stderr, /spec\.schedule: Invalid value/);
    const tz = await c.kubectl(['apply', '-f', '-'], { input: cronJobYaml('bad', 'Allow', 'true', '  timeZone: Mars/Olympus\n') });
    assert.match(tz.stderr, /spec\.timeZone: Invalid value: "Mars\/Olympus": unknown time zone Mars\/Olympus/);
    const tzInSchedule = await c.kubectl(['apply', '-f', '-'], { input: cronJobYaml('bad', 'Allow', 'true').replace('"* * * * *"', '"TZ=UTC * * * * *"') });
    assert.match(tzInSchedule.stderr, /use timeZone field instead/);
  });

  it('starts one job, not a storm, after three hours of missed schedules', async () => {
    await c.k(['apply', '-f', '-'], { input: cronJobYaml('missed', 'Forbid', 'sleep 600', '  suspend: true\n') });
    const cj = await cronJob('missed');
    // As if the controller had been down for three hours since the last run.
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const r = await c.raw('PATCH', '/apis/batch/v1/namespaces/default/cronjobs/missed/status', { body: JSON.stringify({ status: { lastScheduleTime: threeHoursAgo } }), contentType: 'application/merge-patch+json' });
    assert.equal(r.code, 200, r.body);
    await c.k(['patch', 'cronjob', 'missed', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await c.until('a job for the missed schedule', async () => (await jobsOf('missed')).length === 1, 15_000);
    await c.until('the TooManyMissedTimes event', async () => (await reasons('missed')).includes('TooManyMissedTimes'), 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    const jobs = await jobsOf('missed');
    assert.equal(jobs.length, 1, 'one job for the most recent missed time');
    const j = jobs[0];
    assert.equal(j.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(j.metadata.ownerReferences[0].uid, cj.metadata.uid);
    const scheduled = Date.parse(j.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']);
    assert.equal(j.metadata.name, `missed-${scheduled / 60_000}`);
    assert.ok(Date.now() - scheduled < 65_000, 'the most recent schedule time, not the oldest');
    const status = (await cronJob('missed')).status;
    assert.equal(status.active.length, 1);
    assert.equal(status.active[0].name, j.metadata.name);
    assert.equal(Date.parse(status.lastScheduleTime), scheduled);
    await c.k(['delete', 'cronjob', 'missed']);
  });

  it('Allow, Forbid, Replace and history limits over two schedule ticks', async () => {
    for (const [name, policy, cmd, extra] of [
      ['allow', 'Allow', 'sleep 600', ''],
      ['forbid', 'Forbid', 'sleep 600', ''],
      ['replace', 'Replace', 'sleep 600', ''],
      ['history', 'Allow', 'echo done', '  successfulJobsHistoryLimit: 1\n'],
    ]) {
      await c.k(['apply', '-f', '-'], { input: cronJobYaml(name, policy, cmd, extra) });
    }
    const table = await c.k(['get', 'cronjobs', 'allow']);
    assert.match(table, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/);
    assert.match(table, /allow\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+<none>/);

    // Tick one: every CronJob starts a Job.
    await c.until('a first job for each cronjob', async () => (await Promise.all(['allow', 'forbid', 'replace', 'history'].map(jobsOf))).every((js) => js.length >= 1), 75_000);
    const [firstForbid] = await jobsOf('forbid');
    const [firstReplace] = await jobsOf('replace');
    assert.match(await c.k(['get', 'cronjob', 'allow']), /allow\s+\* \* \* \* \*\s+<none>\s+False\s+1\s+\d+s/);

    // Tick two, a minute later.
    await c.until('a second allow job', async () => (await jobsOf('allow')).length === 2, 75_000);
    const allow = await jobsOf('allow');
    assert.ok(allow.every((j: any) => !(j.status?.conditions ?? []).length), 'Allow: both jobs run side by side');
    await c.until('allow lists two active jobs', async () => (await cronJob('allow')).status.active?.length === 2, 10_000);

    await c.until('the JobAlreadyActive event', async () => (await reasons('forbid')).includes('JobAlreadyActive'), 10_000);
    const forbid = await jobsOf('forbid');
    assert.deepEqual(
      forbid.map((j: any) => j.metadata.name),
      [firstForbid.metadata.name],
      'Forbid: no second job while the first runs',
    );

    await c.until('the replacement job', async () => {
      const js = await jobsOf('replace');
      return js.length === 1 && js[0].metadata.name !== firstReplace.metadata.name;
    }, 10_000);
    const gone = await c.raw('GET', `/apis/batch/v1/namespaces/default/jobs/${firstReplace.metadata.name}`);
    assert.ok(gone.code === 404 || JSON.parse(gone.body).metadata.deletionTimestamp, 'Replace: the running job was deleted');
    assert.ok((await reasons('replace')).includes('SuccessfulDelete'));

    await c.until('history pruned to one finished job', async () => {
      const js = await jobsOf('history');
      return js.length === 1 && js[0].status?.succeeded === 1 && js[0];
    }, 15_000);
    // The CronJob's status follows its Jobs' completion at its next sync (and a new tick's
    // Job is briefly active before it completes): wait for it rather than race it.
    await c.until('no active jobs left', async () => (await cronJob('history')).status.active === undefined, 15_000);
    const hist = await cronJob('history');
    assert.ok(hist.status.lastSuccessfulTime, 'lastSuccessfulTime recorded');
    const ev = await reasons('history');
    assert.ok(ev.includes('SawCompletedJob') && ev.includes('SuccessfulDelete'), `events: ${ev.join(',')}`);
  });
});
