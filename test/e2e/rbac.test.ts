/**
 * RBAC end to end with the real kubectl: the bootstrap policy (cluster-admin, admin, edit,
 * view, system:* roles and bindings), a ServiceAccount denied until a Role and RoleBinding
 * grant it (upstream's exact Forbidden text), `kubectl auth can-i` (with --as impersonation
 * and --list), escalation refused unless the user holds the rules or may escalate/bind,
 * upstream validation, and aggregation of a labelled ClusterRole into `view` (and so edit and admin).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';

const NS = 'rbac-t';
const SA_USER = `system:serviceaccount:${NS}:robot`;
const SA_GROUPS = `["system:serviceaccounts" "system:serviceaccounts:${NS}" "system:authenticated"]`;

describe('RBAC', () => {
  let c: Cluster;
  let token = '';
  let caFile = '';
  /** kubectl with the robot ServiceAccount's token instead of the admin certificate. */
  const asRobot = (args: string[], input?: string) => c.kubectl([`--kubeconfig=/dev/null`, `--server=${c.url}`, `--certificate-authority=${caFile}`, `--token=${token}`, ...args], { input });
  const canI = async (args: string[]) => (await c.kubectl(['auth', 'can-i', ...args])).stdout.trim();

  before(async () => {
    c = await Cluster.start();
    caFile = join(mkdtempSync(join(tmpdir(), 'skiff-rbac-')), 'ca.crt');
    writeFileSync(caFile, (await c.raw('GET', '/cacerts', { anonymous: true })).body);
    await c.k(['create', 'namespace', NS]);
    await c.k(['create', 'serviceaccount', 'robot', '-n', NS]);
    token = (await c.k(['create', 'token', 'robot', '-n', NS])).trim();
  });
  after(async () => {
    await c.destroy();
  });

  it('creates the bootstrap policy, annotated for reconciliation', async () => {
    const roles = await c.k(['get', 'clusterroles']);
    assert.match(roles, /^NAME\s+CREATED AT$/m);
    for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:service-account-issuer-discovery']) assert.match(roles, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`, 'm'));
    const admin = await c.getJson('/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin');
    assert.equal(admin.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.deepEqual(admin.rules, [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ]);
    const view = await c.getJson('/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
    assert.deepEqual(view.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
    assert.equal(view.metadata.labels['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
    const bindings = await c.k(['get', 'clusterrolebindings', '-o', 'wide']);
    assert.match(bindings, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/m);
    assert.match(bindings, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters\s*$/m);
    assert.match(bindings, /^system:public-info-viewer\s+ClusterRole\/system:public-info-viewer\s+\S+\s+system:authenticated, system:unauthenticated\s*$/m);
    // The admin kubeconfig's certificate is in system:masters.
    const who = JSON.parse(await c.k(['auth', 'whoami', '-o', 'json'])).status.userInfo;
    assert.ok(who.groups.includes('system:masters'));
    assert.equal(await canI(['*', '*']), 'yes');
  });

  it('forbids a ServiceAccount everything but discovery and self-reviews, with upstream messages', async () => {
    const r = await asRobot(['get', 'pods', '-n', NS]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `Error from server (Forbidden): pods is forbidden: User "${SA_USER}" cannot list resource "pods" in API group "" in the namespace "${NS}"`);
    const raw = await c.raw('GET', `/apis/apps/v1/namespaces/${NS}/deployments/web`, { anonymous: true, headers: { authorization: `Bearer ${token}` } });
    assert.equal(raw.code, 403);
    assert.deepEqual(raw.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `deployments.apps "web" is forbidden: User "${SA_USER}" cannot get resource "deployments" in API group "apps" in the namespace "${NS}"`,
      reason: 'Forbidden',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 403,
    });
    const nodes = await asRobot(['get', 'nodes']);
    assert.match(nodes.stderr, /nodes is forbidden: User "system:serviceaccount:rbac-t:robot" cannot list resource "nodes" in API group "" at the cluster scope/);
    const path = await c.raw('GET', '/metrics', { anonymous: true, headers: { authorization: `Bearer ${token}` } });
    assert.equal(path.code, 403);
    assert.equal(path.json.message, `forbidden: User "${SA_USER}" cannot get path "/metrics"`);
    // Discovery (system:discovery) and whoami (system:basic-user) work for everyone authenticated.
    assert.equal((await asRobot(['api-versions'])).code, 0);
    assert.match((await asRobot(['auth', 'whoami'])).stdout, new RegExp(`Username\\s+${SA_USER}`));
    assert.equal((await asRobot(['auth', 'can-i', 'list', 'pods', '-n', NS])).stdout.trim(), 'no');
  });

  it('a Role and RoleBinding grant a ServiceAccount what they list, in their namespace only', async () => {
    assert.equal(await canI(['list', 'pods', '-n', NS, `--as=${SA_USER}`]), 'no');
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: ${NS}}
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["configmaps"]
  resourceNames: ["settings"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robot-reads-pods, namespace: ${NS}}
subjects:
- kind: ServiceAccount
  name: robot
  namespace: ${NS}
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
`,
    });
    assert.match(await c.k(['get', 'roles', '-n', NS]), /^NAME\s+CREATED AT\npod-reader\s+\d{4}-/m);
    assert.match(await c.k(['get', 'rolebindings', '-n', NS, '-o', 'wide']), /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nrobot-reads-pods\s+Role\/pod-reader\s+\S+\s+rbac-t\/robot\s*$/m);
    await c.until('the binding in effect', async () => (await canI(['list', 'pods', '-n', NS, `--as=${SA_USER}`])) === 'yes');
    const ok = await asRobot(['get', 'pods', '-n', NS]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await canI(['get', 'pods/log', '-n', NS, `--as=${SA_USER}`]), 'yes');
    assert.equal(await canI(['delete', 'pods', '-n', NS, `--as=${SA_USER}`]), 'no');
    assert.equal(await canI(['list', 'pods', '-n', 'default', `--as=${SA_USER}`]), 'no');
    assert.equal(await canI(['get', 'configmaps/settings', '-n', NS, `--as=${SA_USER}`]), 'yes');
    assert.equal(await canI(['get', 'configmaps/other', '-n', NS, `--as=${SA_USER}`]), 'no');
    assert.equal(await canI(['list', 'configmaps', '-n', NS, `--as=${SA_USER}`]), 'no');
    // The same answers with the ServiceAccount's own token.
    assert.equal((await asRobot(['auth', 'can-i', 'watch', 'pods', '-n', NS])).stdout.trim(), 'yes');
    const list = await asRobot(['auth', 'can-i', '--list', '-n', NS]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list.stdout, /^configmaps\s+\[\]\s+\[settings\]\s+\[get\]$/m);
    // A SubjectAccessReview answers for any user, naming the binding that allows.
    const sar = await c.raw('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: SA_USER, groups: ['system:serviceaccounts'], resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods' } } }),
    });
    assert.equal(sar.code, 201, sar.body);
    assert.deepEqual(sar.json.status, { allowed: true, reason: `RBAC: allowed by RoleBinding "robot-reads-pods/${NS}" of Role "pod-reader" to ServiceAccount "robot/${NS}"` });
    const noUser = await c.raw('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: JSON.stringify({ spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } }) });
    assert.equal(noUser.code, 422);
    assert.equal(noUser.json.message, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified');
    // A LocalSubjectAccessReview answers for its own namespace only; the robot may not ask one.
    const local = (ns: string, o: { headers?: Record<string, string> } = {}) =>
      c.raw('POST', `/apis/authorization.k8s.io/v1/namespaces/${NS}/localsubjectaccessreviews`, { ...o, anonymous: !!o.headers, body: JSON.stringify({ spec: { user: SA_USER, resourceAttributes: { namespace: ns, verb: 'list', resource: 'pods' } } }) });
    assert.equal((await local(NS)).json.status.allowed, true);
    assert.equal((await local('default')).json.message, `spec.resourceAttributes.namespace must match namespace: ${NS}`);
    assert.equal((await local(NS, { headers: { authorization: `Bearer ${token}` } })).json.message, `localsubjectaccessreviews.authorization.k8s.io is forbidden: User "${SA_USER}" cannot create resource "localsubjectaccessreviews" in API group "authorization.k8s.io" in the namespace "${NS}"`);
  });

  it('names a binding whose role is missing in the Forbidden reason', async () => {
    await c.k(['create', 'rolebinding', 'dangling', '--clusterrole=no-such-role', '--user=dora', '-n', NS]);
    await c.until('denied with the reason', async () => {
      const r = await c.kubectl(['get', 'secrets', '-n', NS, '--as=dora']);
      return r.stderr.includes(`Error from server (Forbidden): secrets is forbidden: User "dora" cannot list resource "secrets" in API group "" in the namespace "${NS}": RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found`);
    });
  });

  it('impersonation needs the impersonate verb', async () => {
    const r = await asRobot(['get', 'pods', '-n', NS, '--as=alice']);
    assert.equal(r.stderr.trim(), `Error from server (Forbidden): users "alice" is forbidden: User "${SA_USER}" cannot impersonate resource "users" in API group "" at the cluster scope`);
    // Allowed to impersonate alice (only): requests then run as alice, with system:authenticated.
    await c.k(['create', 'clusterrole', 'impersonate-alice', '--verb=impersonate', '--resource=users', '--resource-name=alice']);
    await c.k(['create', 'clusterrolebinding', 'robot-impersonates-alice', '--clusterrole=impersonate-alice', `--serviceaccount=${NS}:robot`]);
    await c.until('impersonation allowed', async () => (await asRobot(['auth', 'whoami', '--as=alice'])).code === 0);
    assert.match((await asRobot(['auth', 'whoami', '--as=alice'])).stdout, /Username\s+alice\nGroups\s+\[system:authenticated\]/);
    assert.equal((await asRobot(['get', 'pods', '-n', NS, '--as=alice'])).stderr.trim(), `Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "${NS}"`);
    assert.match((await asRobot(['get', 'pods', '--as=bob'])).stderr, /users "bob" is forbidden: User "system:serviceaccount:rbac-t:robot" cannot impersonate resource "users"/);
    assert.match((await asRobot(['get', 'pods', '--as=alice', '--as-group=admins'])).stderr, /groups "admins" is forbidden: User "system:serviceaccount:rbac-t:robot" cannot impersonate resource "groups" in API group "" at the cluster scope/);
  });

  it('refuses privilege escalation through Roles and bindings, unless escalate or bind is granted', async () => {
    await c.k(['create', 'role', 'rbac-editor', '-n', NS, '--verb=create,update,patch,get', '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io']);
    await c.k(['create', 'rolebinding', 'robot-rbac-editor', '-n', NS, '--role=rbac-editor', '--serviceaccount=rbac-t:robot']);
    await c.until('the binding in effect', async () => (await canI(['create', 'roles', '-n', NS, `--as=${SA_USER}`])) === 'yes');

    // Rules the robot holds: allowed. Rules it lacks: refused, listing them.
    assert.equal((await asRobot(['create', 'role', 'sub-reader', '-n', NS, '--verb=get,list', '--resource=pods'])).code, 0);
    const esc = await asRobot(['create', 'role', 'secret-reader', '-n', NS, '--verb=get,list', '--resource=secrets,pods']);
    assert.equal(esc.code, 1);
    assert.equal(
      esc.stderr.trim(),
      `Error from server (Forbidden): roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "${SA_USER}" (groups=${SA_GROUPS}) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`,
    );
    // Widening an existing Role is an escalation too.
    const patch = await asRobot(['patch', 'role', 'sub-reader', '-n', NS, '--type=json', '-p', '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]']);
    assert.match(patch.stderr, /roles\.rbac\.authorization\.k8s\.io "sub-reader" is forbidden: .*attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}/);

    // Binding a role whose rules the robot holds: allowed; a bigger one (edit): refused.
    assert.equal((await asRobot(['create', 'rolebinding', 'bob-reads', '-n', NS, '--role=sub-reader', '--user=bob'])).code, 0);
    const bind = await asRobot(['create', 'rolebinding', 'bob-edits', '-n', NS, '--clusterrole=edit', '--user=bob']);
    assert.match(bind.stderr, /^error: failed to create rolebinding: rolebindings\.rbac\.authorization\.k8s\.io "bob-edits" is forbidden: user "system:serviceaccount:rbac-t:robot" \(groups=.*\) is attempting to grant RBAC permissions not currently held:\n/);
    const missing = await asRobot(['create', 'rolebinding', 'bob-nothing', '-n', NS, '--role=absent', '--user=bob']);
    assert.equal(missing.stderr.trim(), 'error: failed to create rolebinding: role.rbac.authorization.k8s.io "absent" not found');

    // escalate and bind lift the checks, as upstream.
    await c.k(['create', 'role', 'escalator', '-n', NS, '--verb=escalate,bind', '--resource=roles.rbac.authorization.k8s.io,clusterroles.rbac.authorization.k8s.io']);
    await c.k(['create', 'rolebinding', 'robot-escalator', '-n', NS, '--role=escalator', '--serviceaccount=rbac-t:robot']);
    await c.until('escalate granted', async () => (await canI(['escalate', 'roles', '-n', NS, `--as=${SA_USER}`])) === 'yes');
    assert.equal((await asRobot(['create', 'role', 'secret-reader', '-n', NS, '--verb=get,list', '--resource=secrets'])).code, 0);
    const bound = await asRobot(['create', 'rolebinding', 'bob-edits', '-n', NS, '--clusterrole=edit', '--user=bob']);
    assert.equal(bound.code, 0, bound.stderr);
  });

  it('validates as upstream: roleRef immutable and of a supported kind, verbs required, non-resource URLs only in ClusterRoles', async () => {
    await c.k(['create', 'rolebinding', 'fixed', '-n', NS, '--clusterrole=view', '--user=carol']);
    const change = await c.kubectl(['patch', 'rolebinding', 'fixed', '-n', NS, '--type=merge', '-p', '{"roleRef":{"name":"edit"}}']);
    assert.equal(change.stderr.trim(), 'The RoleBinding "fixed" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef');
    const bad = await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bad-ref}
roleRef: {kind: Role, name: x, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: Robot, name: r2}
- {kind: ServiceAccount, name: sa}
`,
    });
    assert.equal(
      bad.stderr,
      'The ClusterRoleBinding "bad-ref" is invalid: \n* roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"\n* subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"\n* subjects[1].namespace: Required value\n',
    );
    const role = await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bad-role, namespace: ${NS}}
rules:
- nonResourceURLs: ["/healthz"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["pods"]
`,
    });
    assert.equal(
      role.stderr,
      'The Role "bad-role" is invalid: \n* rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs\n* rules[1].verbs: Required value: verbs must contain at least one value\n',
    );
  });

  it('aggregates a labelled ClusterRole into view, edit and admin', async () => {
    await c.k(['create', 'rolebinding', 'dave-views', '-n', NS, '--clusterrole=view', '--user=dave']);
    await c.until('dave may list pods', async () => (await canI(['list', 'pods', '-n', NS, '--as=dave'])) === 'yes');
    assert.equal(await canI(['list', 'leases.coordination.k8s.io', '-n', NS, '--as=dave']), 'no');
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: leases-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list", "watch"]
`,
    });
    const hasLeases = (role: any) => role.rules.some((r: any) => r.apiGroups?.includes('coordination.k8s.io') && r.verbs?.includes('watch') && r.resources?.includes('leases'));
    for (const role of ['view', 'edit', 'admin']) await c.until(`leases in ${role}`, async () => hasLeases(await c.getJson(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`)));
    await c.until('dave may list leases', async () => (await canI(['list', 'leases.coordination.k8s.io', '-n', NS, '--as=dave'])) === 'yes');
    assert.equal(await canI(['list', 'secrets', '-n', NS, '--as=dave']), 'no');
    // Removing the label takes the rules out again.
    await c.k(['label', 'clusterrole', 'leases-view', 'rbac.authorization.k8s.io/aggregate-to-view-']);
    await c.until('dave may not list leases', async () => (await canI(['list', 'leases.coordination.k8s.io', '-n', NS, '--as=dave'])) === 'no');
  });
});
