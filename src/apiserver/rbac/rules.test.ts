import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactRules, compactString, ruleAllows, uncovered, type Attributes } from './rules.js';

const user = { name: 'u', groups: [] };
const res = (verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({ user, verb, resourceRequest: true, apiGroup: '', resource, namespace: 'ns', ...o });

describe('RBAC rule matching', () => {
  it('matches verbs, groups, resources, subresources and names as upstream', () => {
    const r = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] };
    assert.equal(ruleAllows(res('get', 'pods'), r), true);
    assert.equal(ruleAllows(res('get', 'pods', { subresource: 'log' }), r), true);
    assert.equal(ruleAllows(res('get', 'pods', { subresource: 'exec' }), r), false);
    assert.equal(ruleAllows(res('delete', 'pods'), r), false);
    assert.equal(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), r), false);
    // "*" covers subresources; "*/scale" any resource's scale.
    assert.equal(ruleAllows(res('get', 'pods', { subresource: 'exec' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), true);
    assert.equal(ruleAllows(res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }), true);
    assert.equal(ruleAllows(res('update', 'deployments', { apiGroup: 'apps' }), { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }), false);
    // resourceNames: only requests naming one of them (never a list).
    const named = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] };
    assert.equal(ruleAllows(res('get', 'configmaps', { name: 'a' }), named), true);
    assert.equal(ruleAllows(res('get', 'configmaps', { name: 'b' }), named), false);
    assert.equal(ruleAllows(res('list', 'configmaps'), named), false);
  });

  it('matches non-resource URLs exactly or by a trailing * prefix', () => {
    const r = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    const path = (p: string, verb = 'get'): Attributes => ({ user, verb, resourceRequest: false, path: p });
    assert.equal(ruleAllows(path('/healthz'), r), true);
    assert.equal(ruleAllows(path('/healthz/etcd'), r), false);
    assert.equal(ruleAllows(path('/apis/apps/v1'), r), true);
    assert.equal(ruleAllows(path('/apis/apps/v1', 'post'), r), false);
    assert.equal(ruleAllows(res('get', 'pods'), r), false);
  });
});

describe('RBAC escalation arithmetic', () => {
  it('finds the atomic rules an owner lacks, and prints them compacted as upstream', () => {
    const owner = [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }, { verbs: ['*'], apiGroups: ['apps'], resources: ['*/scale'] }];
    assert.deepEqual(uncovered(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), []);
    assert.deepEqual(uncovered(owner, [{ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }]), []);
    const missing = uncovered(owner, [{ verbs: ['get', 'delete', 'create'], apiGroups: [''], resources: ['pods', 'secrets'] }]);
    assert.deepEqual(compactRules(missing).map(compactString).sort(), ['{APIGroups:[""], Resources:["pods"], Verbs:["delete" "create"]}', '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete" "create"]}']);
    // A named rule is covered by an unnamed one, not the reverse.
    const named = [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }];
    assert.deepEqual(uncovered([{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }], named), []);
    assert.equal(uncovered(named, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]).length, 1);
    assert.equal(compactString({ verbs: ['get'], nonResourceURLs: ['/metrics'] }), '{NonResourceURLs:["/metrics"], Verbs:["get"]}');
    assert.deepEqual(uncovered([{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }]), []);
  });
});
