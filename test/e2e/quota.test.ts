/**
 * ResourceQuota and LimitRange end to end, with the real kubectl against a `skiff server`
 * running simulated nodes: `kubectl create quota`, the controller's status.used in
 * `kubectl get/describe quota`, admission refusing with upstream's exact 403 messages
 * (exceeded quota, must specify requests), usage given back on delete and when a pod
 * finishes, concurrent creates that cannot both squeeze under the limit, and LimitRange
 * defaults and maximums.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

const pod = (name: string, ns: string, cpu?: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ${extra}containers:
  - name: c
    image: busybox
    command: [sleep, inf]${cpu ? `\n    resources: {requests: {cpu: ${cpu}}}` : ''}
`;

describe('resource quota and limit ranges', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '1']);
    await c.until('a node', async () => (await c.getJson('/api/v1/nodes')).items.length === 1);
  });
  after(async () => {
    assert.equal(await c?.stop(), 0);
    await c?.destroy();
  });

  const used = (ns: string, q = 'q') => c.getJson(`/api/v1/namespaces/${ns}/resourcequotas/${q}`).then((o) => o.status?.used ?? {});

  it('counts pods and cpu requests, refuses the third pod with the upstream message, and frees room on delete', async () => {
    await c.k(['create', 'namespace', 'team']);
    await c.k(['create', 'quota', 'q', '--hard=pods=2,requests.cpu=1', '-n', 'team']);
    await c.until('quota status', async () => (await used('team')).pods === '0');
    await c.k(['apply', '-f', '-'], { input: pod('a', 'team', '300m') });
    await c.k(['apply', '-f', '-'], { input: pod('b', 'team', '300m') });
    await c.until('usage 2 pods', async () => JSON.stringify(await used('team')) === JSON.stringify({ pods: '2', 'requests.cpu': '600m' }));

    const table = (await c.k(['get', 'quota', '-n', 'team'])).split('\n');
    assert.match(table[0], /^NAME\s+AGE\s+REQUEST\s+LIMIT\s*$/);
    assert.match(table[1], /^q\s+\S+\s+pods: 2\/2, requests\.cpu: 600m\/1\s*$/);
    const described = await c.k(['describe', 'quota', 'q', '-n', 'team']);
    assert.match(described, /Resource\s+Used\s+Hard/);
    assert.match(described, /pods\s+2\s+2/);
    assert.match(described, /requests\.cpu\s+600m\s+1/);

    const third = await c.kubectl(['apply', '-f', '-'], { input: pod('c', 'team', '300m') });
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /\(Forbidden\)/);
    assert.ok(third.stderr.includes('pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'), third.stderr);

    const noRequests = await c.kubectl(['apply', '-f', '-'], { input: pod('nores', 'team') });
    assert.ok(noRequests.stderr.includes('pods "nores" is forbidden: failed quota: q: must specify requests.cpu for: c'), noRequests.stderr);

    const tooMuchCpu = await c.kubectl(['apply', '-f', '-'], { input: pod('big', 'team', '500m') });
    assert.ok(tooMuchCpu.stderr.includes('pods "big" is forbidden: exceeded quota: q, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=600m, limited: pods=2,requests.cpu=1'), tooMuchCpu.stderr);

    // A service turning NodePort is charged its node ports on update.
    await c.k(['create', 'quota', 'svc', '--hard=services.nodeports=1', '-n', 'team']);
    await c.until('svc quota status', async () => (await used('team', 'svc'))['services.nodeports'] === '0');
    await c.k(['create', 'service', 'clusterip', 'web', '--tcp=80:80', '--tcp=443:443', '-n', 'team']);
    const turned = await c.kubectl(['patch', 'service', 'web', '-n', 'team', '-p', '{"spec":{"type":"NodePort"}}']);
    assert.ok(turned.stderr.includes('services "web" is forbidden: exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1'), turned.stderr);

    await c.k(['delete', 'pod', 'a', '-n', 'team', '--grace-period=0', '--force']);
    await c.until('usage back to 1 pod', async () => (await used('team')).pods === '1');
    assert.equal((await used('team'))['requests.cpu'], '300m');
    await c.k(['apply', '-f', '-'], { input: pod('c', 'team', '300m') });
  });

  it('is served as upstream: short names, and admin/edit/view may read but not write quotas and limit ranges', async () => {
    const out = await c.k(['api-resources']);
    assert.match(out, /^resourcequotas\s+quota\s+v1\s+true\s+ResourceQuota$/m);
    assert.match(out, /^limitranges\s+limits\s+v1\s+true\s+LimitRange$/m);
    assert.match(await c.k(['explain', 'quota.spec.hard']), /count\/<resource>\.<group>/);
    assert.match(await c.k(['explain', 'limitrange.spec.limits']), /defaultRequest/);
    await c.k(['create', 'namespace', 'roles']);
    for (const role of ['admin', 'edit', 'view']) await c.k(['create', 'rolebinding', role, `--clusterrole=${role}`, `--user=${role}-user`, '-n', 'roles']);
    await c.until('aggregated roles', async () => (await c.kubectl(['auth', 'can-i', 'get', 'resourcequotas', '-n', 'roles', '--as=view-user'])).stdout.trim() === 'yes');
    for (const role of ['admin', 'edit', 'view']) {
      const can = async (verb: string, res: string) => (await c.kubectl(['auth', 'can-i', verb, res, '-n', 'roles', `--as=${role}-user`])).stdout.trim();
      for (const res of ['resourcequotas', 'limitranges', 'resourcequotas/status']) {
        assert.equal(await can('list', res), 'yes', `${role} list ${res}`);
        assert.equal(await can('create', res), 'no', `${role} create ${res}`);
      }
      assert.equal(await can('delete', 'limitranges'), 'no', `${role} delete limitranges`);
    }
  });

  it('stops counting a pod that finished', async () => {
    await c.k(['create', 'namespace', 'fin']);
    await c.k(['create', 'quota', 'q', '--hard=pods=1,count/pods=5', '-n', 'fin']);
    await c.until('quota status', async () => (await used('fin')).pods === '0');
    await c.k(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Pod\nmetadata: {name: done, namespace: fin}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]\n` });
    await c.until('the pod Succeeded', async () => (await c.k(['get', 'pod', 'done', '-n', 'fin', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded');
    // pods counts live pods only; count/pods every stored one.
    await c.until('pods back to 0', async () => {
      const u = await used('fin');
      return u.pods === '0' && u['count/pods'] === '1';
    });
    await c.k(['apply', '-f', '-'], { input: pod('next', 'fin') });
  });

  it('holds a Deployment at the quota, with the ReplicaSet reporting FailedCreate, until the quota is raised', async () => {
    await c.k(['create', 'namespace', 'deploy']);
    await c.k(['create', 'quota', 'q', '--hard=pods=2', '-n', 'deploy']);
    await c.until('quota status', async () => (await used('deploy')).pods === '0');
    await c.k(['create', 'deployment', 'web', '--image=busybox', '--replicas=3', '-n', 'deploy', '--', 'sleep', 'inf']);
    const rs = await c.until('ReplicaFailure on the ReplicaSet', async () => {
      const list = (await c.getJson('/apis/apps/v1/namespaces/deploy/replicasets')).items;
      return list.find((r: any) => (r.status?.conditions ?? []).some((x: any) => x.type === 'ReplicaFailure'));
    });
    const cond = rs.status.conditions.find((x: any) => x.type === 'ReplicaFailure');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message, /^pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2$/);
    assert.equal((await c.getJson('/api/v1/namespaces/deploy/pods')).items.length, 2);
    await c.k(['patch', 'quota', 'q', '-n', 'deploy', '--type=merge', '-p', '{"spec":{"hard":{"pods":"3"}}}']);
    await c.until('the third replica', async () => (await c.getJson('/api/v1/namespaces/deploy/pods')).items.length === 3, 60_000);
    await c.until('used 3/3', async () => (await c.k(['get', 'quota', 'q', '-n', 'deploy', '--no-headers'])).includes('pods: 3/3'));
  });

  it('lets exactly the quota through when creates race', async () => {
    await c.k(['create', 'namespace', 'race']);
    await c.k(['create', 'quota', 'q', '--hard=configmaps=4', '-n', 'race']);
    // The namespace's kube-root-ca.crt counts too, leaving room for three.
    await c.until('quota status', async () => (await used('race')).configmaps === '1');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => c.raw('POST', '/api/v1/namespaces/race/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` } }), contentType: 'application/json' })),
    );
    const codes = results.map((r) => r.code).sort();
    assert.deepEqual(codes, [201, 201, 201, 403, 403, 403, 403, 403], JSON.stringify(results.map((r) => r.json?.message)));
    assert.equal((await c.getJson('/api/v1/namespaces/race/configmaps')).items.filter((cm: any) => cm.metadata.name.startsWith('cm-')).length, 3);
    for (const r of results.filter((x) => x.code === 403)) assert.match(r.json.message, /^configmaps "cm-\d" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=4, limited: configmaps=4$/);
  });

  it('fills LimitRange defaults into a pod without resources and refuses one over the maximum', async () => {
    await c.k(['create', 'namespace', 'lr']);
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: "1"}
`,
    });
    const header = (await c.k(['get', 'limitranges', '-n', 'lr'])).split('\n')[0];
    assert.match(header, /^NAME\s+CREATED AT\s*$/);
    // Defaulting: a Container item's defaultRequest falls back to default.
    const described = await c.k(['describe', 'limits', 'limits', '-n', 'lr']);
    assert.match(described, /Container\s+cpu\s+-\s+1\s+100m\s+500m\s+-/);
    assert.match(described, /Container\s+memory\s+-\s+-\s+128Mi\s+256Mi\s+-/);
    await c.k(['apply', '-f', '-'], { input: pod('plain', 'lr') });
    assert.equal(await c.k(['get', 'pod', 'plain', '-n', 'lr', '-o', 'jsonpath={.spec.containers[0].resources.requests.cpu} {.spec.containers[0].resources.requests.memory} {.spec.containers[0].resources.limits.cpu} {.spec.containers[0].resources.limits.memory}']), '100m 128Mi 500m 256Mi');
    assert.equal(await c.k(['get', 'pod', 'plain', '-n', 'lr', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}']), 'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');

    const big = await c.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Pod\nmetadata: {name: big, namespace: lr}\nspec:\n  containers: [{name: c, image: busybox, resources: {limits: {cpu: "2"}}}]\n` });
    assert.notEqual(big.code, 0);
    assert.ok(big.stderr.includes('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'), big.stderr);

    // The Limit Ranges concept page's conflict: the default limit (500m) falls below the request.
    const conflict = await c.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Pod\nmetadata: {name: example-conflict-with-limitrange-cpu, namespace: lr}\nspec:\n  containers: [{name: demo, image: busybox, resources: {requests: {cpu: 700m}}}]\n` });
    assert.ok(conflict.stderr.includes('The Pod "example-conflict-with-limitrange-cpu" is invalid: spec.containers[0].resources.requests: Invalid value: "700m": must be less than or equal to cpu limit of 500m'), conflict.stderr);

    const bad = await c.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad, namespace: lr}\nspec:\n  limits: [{type: Container, min: {cpu: "2"}, max: {cpu: "1"}}]\n` });
    assert.ok(bad.stderr.includes('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1'), bad.stderr);
    const neg = await c.kubectl(['create', 'quota', 'neg', '--hard=pods=-1', '-n', 'lr']);
    assert.ok(neg.stderr.includes('spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0'), neg.stderr);
  });
});
