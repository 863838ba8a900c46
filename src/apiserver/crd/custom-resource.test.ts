import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKubeVersions, customResourceDef, customSchemaName } from './custom-resource.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';

const crd = {
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'] },
  },
};
const obj = {
  metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { cronSpec: '* * * * */5', replicas: 3, tags: ['x', 'y'] },
  status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
};

describe('printer column JSONPath', () => {
  it('selects fields, indexes, wildcards and filters', () => {
    const at = (p: string) => evalJsonPath(parseJsonPath(p), obj);
    assert.deepEqual(at('.spec.replicas'), [3]);
    assert.deepEqual(at('{.spec.tags[1]}'), ['y']);
    assert.deepEqual(at('.spec.tags[*]'), ['x', 'y']);
    assert.deepEqual(at('.status.conditions[?(@.type=="Ready")].status'), ['True']);
    assert.deepEqual(at(".metadata['name']"), ['a']);
    assert.deepEqual(at('.spec.missing'), []);
    assert.throws(() => parseJsonPath('spec'));
  });
});

describe('custom resource ResourceDef', () => {
  it('prints NAME and AGE without additionalPrinterColumns', () => {
    const def = customResourceDef(crd, { name: 'v1', served: true, storage: true }, { terminating: false });
    assert.deepEqual(def.columns.map((c) => c.name), ['Name', 'Age']);
    assert.deepEqual(def.row(obj, new Date('2026-01-01T00:00:42Z')), ['a', '42s']);
    assert.deepEqual([def.kind, def.listKind, def.namespaced, def.schemaName], ['CronTab', 'CronTabList', true, 'com.example.stable.v1.CronTab']);
  });

  it('renders additionalPrinterColumns cells by type, nil when the path finds nothing', () => {
    const cols = [
      { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Image', type: 'string', jsonPath: '.spec.image', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ];
    const def = customResourceDef(crd, { name: 'v1', served: true, storage: true, additionalPrinterColumns: cols }, { terminating: false });
    assert.deepEqual(def.columns.map((c) => [c.name, c.type, c.priority]), [['Name', 'string', 0], ['Spec', 'string', 0], ['Replicas', 'integer', 0], ['Ready', 'string', 0], ['Image', 'string', 1], ['Age', 'date', 0]]);
    assert.deepEqual(def.row(obj, new Date('2026-01-01T00:05:00Z')), ['a', '* * * * */5', 3, 'True', null, '5m']);
  });

  it('refuses creates while the CRD is terminating', () => {
    const state = { terminating: false };
    const def = customResourceDef(crd, { name: 'v1', served: true, storage: true, subresources: { status: {} } }, state);
    const o: any = { metadata: { name: 'x' }, status: { a: 1 } };
    def.prepareForCreate!(o);
    assert.equal(o.status, undefined, 'status is written only through the subresource');
    state.terminating = true;
    assert.throws(() => def.prepareForCreate!({ metadata: {} }), /create not allowed while custom resource definition is terminating/);
  });

  it('serves selectableFields to field selectors', () => {
    const def = customResourceDef(crd, { name: 'v1', served: true, storage: true, selectableFields: [{ jsonPath: '.spec.replicas' }, { jsonPath: '.spec.cronSpec' }] }, { terminating: false });
    assert.deepEqual(Object.keys(def.selectableFields ?? {}), ['spec.replicas', 'spec.cronSpec']);
    assert.equal(def.selectableFields!['spec.replicas'](obj), '3');
    assert.equal(def.selectableFields!['spec.cronSpec']({ spec: {} }), undefined);
  });

  it('orders versions as Kubernetes does', () => {
    const vs = ['v1alpha1', 'foo', 'v1beta1', 'v2', 'v1', 'v1beta2', 'v10', 'v11alpha2'];
    assert.deepEqual([...vs].sort(compareKubeVersions), ['v10', 'v2', 'v1', 'v1beta2', 'v1beta1', 'v11alpha2', 'v1alpha1', 'foo']);
    assert.equal(customSchemaName('a.b.io', 'v1', 'K'), 'io.b.a.v1.K');
  });
});
