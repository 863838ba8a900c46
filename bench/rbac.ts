/**
 * bench/rbac — the cost of one RBAC decision in the API server's authorizer (in process,
 * memory store): a system:masters request, a ServiceAccount allowed through a RoleBinding
 * to `view`, the same ServiceAccount denied (every applicable binding looked at), and the
 * escalation check of a Role write, with N RoleBindings spread over 100 namespaces that
 * all also bind the group system:serviceaccounts (the worst case of a busy group).
 *
 *   node dist/bench/rbac.js [--bindings 2000] [--decisions 20000] [--json]
 */
import { buildRegistry } from '../src/api/index.js';
import { ApiHandler } from '../src/apiserver/handler.js';
import { checkRbacWrite } from '../src/apiserver/rbac/escalation.js';
import type { Attributes } from '../src/apiserver/rbac/rules.js';
import { MemoryBackend } from '../src/store/memory.js';

const TARGET_US = 20;
const arg = (f: string, d: number) => {
  const i = process.argv.indexOf(f);
  const v = i < 0 ? d : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1 || v > 1_000_000) throw new Error(`${f} must be an integer from 1 to 1000000`);
  return v;
};
const bindings = arg('--bindings', 2000);
const decisions = arg('--decisions', 20_000);
const PREFIX = '/registry/rbac.authorization.k8s.io';

const backend = new MemoryBackend();
const handler = new ApiHandler({ registry: buildRegistry(), backend });
await handler.bootstrap();
// `view` as the aggregation controller would fill it.
const viewKv = (await backend.get(`${PREFIX}/clusterroles/view`)).kv!;
const view = JSON.parse(viewKv.value);
view.rules = JSON.parse((await backend.get(`${PREFIX}/clusterroles/system:aggregate-to-view`)).kv!.value).rules;
await backend.update(viewKv.key, JSON.stringify(view), viewKv.modRevision);
for (let i = 0; i < bindings; i++) {
  const ns = `ns${i % 100}`;
  const rb = { metadata: { name: `b${i}`, namespace: ns }, subjects: [{ kind: 'ServiceAccount', name: `sa${i}`, namespace: ns }, { kind: 'Group', name: 'system:serviceaccounts' }], roleRef: { kind: 'ClusterRole', name: 'view' } };
  await backend.create(`${PREFIX}/rolebindings/${ns}/b${i}`, JSON.stringify(rb));
}
const authz = handler.authorizer!;
// The cache follows the store by watch: wait until it holds the last binding.
const last = `ns${(bindings - 1) % 100}`;
for (let t = Date.now(); !authz.cache.bindingsFor(last, `u:system:serviceaccount:${last}:sa${bindings - 1}`).length; ) {
  if (Date.now() - t > 30_000) throw new Error('the policy cache did not catch up in 30 s');
  await new Promise((r) => setTimeout(r, 10));
}

const sa = { name: 'system:serviceaccount:ns7:sa7', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns7', 'system:authenticated'] };
const attrs = (user: Attributes['user'], verb: string, resource: string, apiGroup = ''): Attributes => ({ user, verb, resourceRequest: true, apiGroup, resource, namespace: 'ns7', name: 'x' });
function perDecision(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) fn();
  return Number(process.hrtime.bigint() - t0) / decisions / 1000;
}
const role = { metadata: { name: 'r', namespace: 'ns7' }, rules: [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] }] };
const result = {
  bindings,
  decisions,
  mastersUs: perDecision(() => authz.authorizeSync(attrs({ name: 'admin', groups: ['system:masters'] }, 'delete', 'pods'))),
  allowedUs: perDecision(() => authz.authorizeSync(attrs(sa, 'list', 'pods'))),
  deniedUs: perDecision(() => authz.authorizeSync(attrs(sa, 'delete', 'deployments', 'apps'))),
  escalationCheckUs: perDecision(() => checkRbacWrite(authz, sa, 'roles', role, undefined)),
};
if (!authz.authorizeSync(attrs(sa, 'list', 'pods')).allowed || authz.authorizeSync(attrs(sa, 'delete', 'deployments', 'apps')).allowed) throw new Error('unexpected decisions');
await handler.close();
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  const f = (v: number) => `${v.toFixed(2)} µs`;
  console.log(`RBAC decision cost, ${bindings} RoleBindings in 100 namespaces, ${decisions} decisions each (target: under ${TARGET_US} µs):`);
  console.log(`  system:masters            ${f(result.mastersUs)}`);
  console.log(`  ServiceAccount allowed    ${f(result.allowedUs)}`);
  console.log(`  ServiceAccount denied     ${f(result.deniedUs)}${result.deniedUs > TARGET_US ? '  (over target)' : ''}`);
  console.log(`  Role write escalation     ${f(result.escalationCheckUs)}`);
}
