/**
 * CustomResourceDefinitions with the real kubectl: a CRD is validated, becomes
 * Established, and its custom objects are served like built-in ones (discovery and short
 * names, printer columns, schema validation with upstream's messages, defaulting and
 * pruning, merge/JSON/server-side-apply patches, status and scale subresources, watch);
 * garbage collection follows owner references to custom objects; deleting the CRD deletes
 * its objects; CRDs and objects survive a restart.
 */
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: [ct]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.labelSelector
    selectableFields:
    - {jsonPath: .spec.image}
    additionalPrinterColumns:
    - {name: Spec, type: string, description: The cron spec, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec: {type: string, pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'}
              image: {type: string}
              replicas: {type: integer, minimum: 1, maximum: 10, default: 1}
          status:
            type: object
            properties:
              replicas: {type: integer}
              labelSelector: {type: string}
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
`;

const cronTab = (name: string, extra = '') => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
  namespace: crd-test
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
${extra}`;

describe('CustomResourceDefinitions', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start();
    await c.k(['create', 'namespace', 'crd-test']);
  });
  after(async () => {
    await c.destroy();
  });

  it('refuses an invalid CRD with upstream field paths (422)', async () => {
    const bad = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: other.example.com
  scope: Global
  names: {plural: widgets, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {properties: {size: {type: integer}}}
`;
    const r = await c.kubectl(['apply', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The CustomResourceDefinition "widgets.example.com" is invalid/);
    assert.match(r.stderr, /metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural\+"."\+spec.group/);
    assert.match(r.stderr, /spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"/);
    assert.match(r.stderr, /spec.versions\[0\].schema.openAPIV3Schema.properties\[spec\].type: Required value: must not be empty for specified object fields/);
    const noSchema = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, kind: Widget}
  versions:
  - {name: v1, served: true, storage: false}
`;
    const r2 = await c.raw('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: JSON.stringify(await yamlToJson(c, noSchema)) });
    assert.equal(r2.code, 422);
    assert.deepEqual(r2.json.details.causes.map((x: any) => x.field), ['spec.versions[0].schema.openAPIV3Schema', 'spec.versions']);
    assert.match(r2.json.message, /spec.versions\[0\].schema.openAPIV3Schema: Required value: schemas are required/);
    assert.match(r2.json.message, /must have exactly one version marked as storage version/);
  });

  it('establishes a CRD and lists it as upstream', async () => {
    await c.k(['apply', '-f', '-'], { input: CRD });
    await c.k(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/crontabs.stable.example.com']);
    const out = await c.k(['get', 'crd']);
    assert.match(out, /^NAME\s+CREATED AT\n/);
    assert.match(out, /^crontabs\.stable\.example\.com\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    const crd = JSON.parse(await c.k(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
    assert.deepEqual(crd.status.acceptedNames, { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'] });
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    const cond = (t: string) => crd.status.conditions.find((x: any) => x.type === t);
    assert.equal(cond('NamesAccepted').reason, 'NoConflicts');
    assert.equal(cond('Established').status, 'True');
    assert.equal(cond('Established').reason, 'InitialNamesAccepted');
  });

  it('serves the new kind in discovery, by plural and short name', async () => {
    const res = await c.k(['api-resources', '--api-group=stable.example.com']);
    assert.match(res, /^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab$/m);
    const gv = await c.getJson('/apis/stable.example.com/v1');
    assert.deepEqual(gv.resources.map((r: any) => r.name).sort(), ['crontabs', 'crontabs/scale', 'crontabs/status']);
    const group = await c.getJson('/apis/stable.example.com');
    assert.equal(group.preferredVersion.groupVersion, 'stable.example.com/v1');
    const agg = await c.raw('GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    assert.ok(agg.json.items.some((g: any) => g.metadata.name === 'stable.example.com'));
  });

  it('creates custom objects with defaults, pruning and printer columns', async () => {
    await c.k(['apply', '-f', '-'], { input: cronTab('first') });
    // Without kubectl's strict validation, unknown fields are pruned silently.
    await c.k(['apply', '--validate=false', '-f', '-'], { input: cronTab('second', '  unknownField: 3\n') });
    const second = JSON.parse(await c.k(['get', 'ct', 'second', '-n', 'crd-test', '-o', 'json']));
    assert.equal(second.spec.replicas, 1, 'defaulted');
    assert.equal(second.spec.unknownField, undefined, 'pruned');
    assert.equal(second.metadata.generation, 1);
    const strict = await c.kubectl(['apply', '-f', '-'], { input: cronTab('third', '  unknownField: 3\n') });
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /strict decoding error: unknown field "spec.unknownField"/);
    const table = await c.k(['get', 'crontabs', '-n', 'crd-test']);
    assert.match(table, /^NAME\s+SPEC\s+REPLICAS\s+READY\s+AGE\n/);
    // A column whose path finds nothing is an empty cell (upstream's nil).
    assert.match(table, /^first\s+\* \* \* \* \*\/5\s+1\s+\d+s$/m);
  });

  it('answers a schema violation with 422 and the field', async () => {
    const r = await c.kubectl(['patch', 'ct', 'first', '-n', 'crd-test', '--type=merge', '-p', '{"spec":{"replicas":"three"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The CronTab "first" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"/);
    const raw = await c.raw('PATCH', '/apis/stable.example.com/v1/namespaces/crd-test/crontabs/first', { body: '{"spec":{"replicas":11,"cronSpec":"often"}}', contentType: 'application/merge-patch+json' });
    assert.equal(raw.code, 422);
    assert.equal(raw.json.reason, 'Invalid');
    assert.deepEqual(raw.json.details.causes.map((x: any) => x.field).sort(), ['spec.cronSpec', 'spec.replicas']);
    assert.match(raw.json.message, /spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10/);
    const missing = await c.raw('POST', '/apis/stable.example.com/v1/namespaces/crd-test/crontabs', { body: JSON.stringify({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'nospec' }, spec: {} }) });
    assert.equal(missing.code, 422);
    assert.match(missing.json.message, /spec.cronSpec: Required value/);
  });

  it('patches with merge, JSON patch and server-side apply, refusing strategic merge', async () => {
    await c.k(['patch', 'ct', 'first', '-n', 'crd-test', '--type=merge', '-p', '{"spec":{"replicas":2}}']);
    await c.k(['patch', 'ct', 'first', '-n', 'crd-test', '--type=json', '-p', '[{"op":"replace","path":"/spec/image","value":"v2"}]']);
    // Client-side apply of a change: kubectl sends a merge patch for a custom kind.
    assert.match(await c.k(['apply', '-f', '-'], { input: cronTab('second').replace('my-awesome-cron-image', 'v3') }), /configured/);
    assert.equal(JSON.parse(await c.k(['get', 'ct', 'second', '-n', 'crd-test', '-o', 'json'])).spec.image, 'v3');
    // selectableFields work in field selectors.
    assert.equal((await c.k(['get', 'ct', '-n', 'crd-test', '--field-selector', 'spec.image=v3', '-o', 'name'])).trim(), 'crontab.stable.example.com/second');
    const sm = await c.kubectl(['patch', 'ct', 'first', '-n', 'crd-test', '-p', '{"spec":{"replicas":3}}']);
    assert.notEqual(sm.code, 0);
    assert.match(sm.stderr, /application\/strategic-merge-patch\+json is not supported/);
    await c.k(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: cronTab('first', '  replicas: 4\n') });
    const o = JSON.parse(await c.k(['get', 'ct', 'first', '-n', 'crd-test', '-o', 'json', '--show-managed-fields']));
    assert.equal(o.spec.replicas, 4);
    assert.equal(o.spec.image, 'my-awesome-cron-image');
    assert.ok(o.metadata.managedFields.some((m: any) => m.manager === 'kubectl' && m.operation === 'Apply'));
    assert.equal(o.metadata.generation, 4);
  });

  it('keeps status to its subresource and scales through the declared paths', async () => {
    const path = '/apis/stable.example.com/v1/namespaces/crd-test/crontabs/first';
    const cur = await c.getJson(path);
    // The main resource ignores status changes.
    const upd = await c.raw('PUT', path, { body: JSON.stringify({ ...cur, status: { replicas: 9 } }) });
    assert.equal(upd.code, 200);
    assert.equal(upd.json.status, undefined);
    const st = await c.raw('PUT', `${path}/status`, { body: JSON.stringify({ ...upd.json, spec: { ...upd.json.spec, replicas: 1 }, status: { replicas: 4, labelSelector: 'app=cron', conditions: [{ type: 'Ready', status: 'True' }] } }) });
    assert.equal(st.code, 200);
    assert.equal(st.json.spec.replicas, 4, 'a status write leaves spec alone');
    assert.equal(st.json.status.replicas, 4);
    assert.match(await c.k(['get', 'ct', 'first', '-n', 'crd-test']), /^first\s+\S+ \S+ \S+ \S+ \S+\s+4\s+True\s+/m);
    await c.k(['scale', 'ct', 'first', '-n', 'crd-test', '--replicas=6']);
    const scale = await c.getJson(`${path}/scale`);
    assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.replicas, scale.status.selector], ['Scale', 6, 4, 'app=cron']);
    const tooMany = await c.kubectl(['scale', 'ct', 'first', '-n', 'crd-test', '--replicas=20']);
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /spec.replicas in body should be less than or equal to 10/);
  });

  it('streams changes to kubectl get <shortname> -w', async () => {
    const w = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'get', 'ct', '-n', 'crd-test', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    w.stdout.on('data', (d) => (out += d));
    try {
      await c.until('the watch to start', async () => out.includes('second'));
      await c.k(['apply', '-f', '-'], { input: cronTab('watched') });
      await c.until('the new object on the watch', async () => /ADDED\s+watched/.test(out));
      await c.k(['patch', 'ct', 'watched', '-n', 'crd-test', '--type=merge', '-p', '{"spec":{"replicas":7}}']);
      await c.until('the change on the watch', async () => /MODIFIED\s+watched\s+\S+ \S+ \S+ \S+ \S+\s+7/.test(out));
      await c.k(['delete', 'ct', 'watched', '-n', 'crd-test']);
      await c.until('the deletion on the watch', async () => /DELETED\s+watched/.test(out));
    } finally {
      w.kill();
    }
  });

  it('garbage-collects a custom object whose owner is deleted', async () => {
    const cm = JSON.parse(await c.k(['create', 'configmap', 'owner', '-n', 'crd-test', '-o', 'json']));
    const owned = cronTab('owned').replace('  namespace: crd-test\n', `  namespace: crd-test\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: ${cm.metadata.uid}}\n`);
    await c.k(['apply', '-f', '-'], { input: owned });
    await c.k(['delete', 'configmap', 'owner', '-n', 'crd-test']);
    // The collector finds kinds added after it started at its next discovery (every 30 s).
    await c.until('the owned custom object to be collected', async () => (await c.kubectl(['get', 'ct', 'owned', '-n', 'crd-test'])).stderr.includes('NotFound'), 90_000);
  });

  it('keeps CRDs and custom objects across a restart', async () => {
    const before = JSON.parse(await c.k(['get', 'ct', '-n', 'crd-test', '-o', 'json'])).items;
    assert.ok(before.length >= 2);
    assert.equal(await c.stop(), 0);
    await c.restart();
    const after = JSON.parse(await c.k(['get', 'ct', '-n', 'crd-test', '-o', 'json'])).items;
    assert.deepEqual(
      after.map((x: any) => [x.metadata.name, x.metadata.uid, x.metadata.resourceVersion, x.spec.replicas]),
      before.map((x: any) => [x.metadata.name, x.metadata.uid, x.metadata.resourceVersion, x.spec.replicas]),
    );
    await c.k(['apply', '-f', '-'], { input: cronTab('after-restart') });
  });

  it('does not accept names in use in the group, and wants approval for k8s.io groups', async () => {
    const rival = CRD.replace('name: crontabs.stable.example.com', 'name: crontabz.stable.example.com').replace('plural: crontabs', 'plural: crontabz').replace('singular: crontab', 'singular: crontabz').replace('shortNames: [ct]', 'shortNames: [ctz]');
    await c.k(['apply', '-f', '-'], { input: rival });
    const crd = await c.until('the rival CRD to be looked at', async () => {
      const o = JSON.parse(await c.k(['get', 'crd', 'crontabz.stable.example.com', '-o', 'json']));
      return o.status?.conditions?.length && o;
    });
    const cond = (t: string) => crd.status.conditions.find((x: any) => x.type === t);
    assert.deepEqual([cond('NamesAccepted').status, cond('NamesAccepted').reason, cond('NamesAccepted').message], ['False', 'KindConflict', '"CronTab" is already in use']);
    assert.deepEqual([cond('Established').status, cond('Established').reason], ['False', 'NotAccepted']);
    assert.equal((await c.raw('GET', '/apis/stable.example.com/v1/crontabz')).code, 404);
    await c.k(['delete', 'crd', 'crontabz.stable.example.com', '--timeout=30s']);
    const k8s = CRD.replace(/stable\.example\.com/g, 'stable.x.k8s.io');
    const r = await c.kubectl(['apply', '-f', '-'], { input: k8s });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /metadata.annotations\[api-approved.kubernetes.io\]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https:\/\/github.com\/kubernetes\/enhancements\/pull\/1111/);
  });

  it('deletes custom objects with their namespace', async () => {
    await c.k(['create', 'namespace', 'crd-gone']);
    await c.k(['apply', '-f', '-'], { input: cronTab('in-ns').replace('namespace: crd-test', 'namespace: crd-gone') });
    await c.k(['delete', 'namespace', 'crd-gone', '--timeout=60s']);
    assert.equal((await c.raw('GET', '/apis/stable.example.com/v1/namespaces/crd-gone/crontabs/in-ns')).code, 404);
  });

  it('deletes every custom object with the CRD, waiting for their finalizers, then stops serving', async () => {
    await c.k(['apply', '-f', '-'], { input: cronTab('held').replace('  namespace: crd-test\n', '  namespace: crd-test\n  finalizers: [example.com/hold]\n') });
    // A watch open on the kind ends once the kind is no longer served.
    const watchEnded = c.raw('GET', '/apis/stable.example.com/v1/crontabs?watch=true&timeoutSeconds=300');
    await c.k(['delete', 'crd', 'crontabs.stable.example.com', '--wait=false']);
    const crd = await c.until('the CRD to be Terminating', async () => {
      const o = JSON.parse(await c.k(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
      return o.status.conditions.find((x: any) => x.type === 'Terminating' && x.reason === 'InstanceDeletionInProgress') && o;
    });
    assert.ok(crd.metadata.finalizers.includes('customresourcecleanup.apiextensions.k8s.io'));
    assert.ok(crd.metadata.deletionTimestamp);
    // Objects without finalizers are gone; the held one waits, marked for deletion.
    await c.until('the other objects to be deleted', async () => {
      const items = JSON.parse(await c.k(['get', 'ct', '-n', 'crd-test', '-o', 'json'])).items;
      return items.length === 1 && items[0].metadata.name === 'held' && items[0].metadata.deletionTimestamp;
    });
    const create = await c.kubectl(['apply', '-f', '-'], { input: cronTab('late') });
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, /create not allowed while custom resource definition is terminating/);
    await c.k(['patch', 'ct', 'held', '-n', 'crd-test', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await c.k(['wait', '--for=delete', '--timeout=30s', 'crd/crontabs.stable.example.com']);
    const ended = await Promise.race([watchEnded.then((r) => r.code), new Promise((r) => setTimeout(() => r('still open'), 30_000).unref())]);
    assert.equal(ended, 200, 'the watch ended');
    assert.equal((await c.raw('GET', '/apis/stable.example.com/v1/namespaces/crd-test/crontabs')).code, 404);
    assert.equal((await c.raw('GET', '/apis/stable.example.com')).code, 404);
    assert.doesNotMatch(await c.k(['api-resources']), /crontabs/);
    // Created again, the kind starts empty.
    await c.k(['apply', '-f', '-'], { input: CRD });
    await c.k(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/crontabs.stable.example.com']);
    assert.equal(JSON.parse(await c.k(['get', 'ct', '-n', 'crd-test', '-o', 'json'])).items.length, 0);
  });
});

/** YAML to JSON through kubectl's client-side dry run (no YAML parser needed here). */
async function yamlToJson(c: Cluster, doc: string): Promise<any> {
  return JSON.parse(await c.k(['create', '--dry-run=client', '--validate=false', '-o', 'json', '-f', '-'], { input: doc }));
}
