import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { customResourceDefinitions, validateCrd } from './apiextensions.js';
import { fieldErrorMessage } from '../../apiserver/errors.js';

const good = () => ({
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
  },
});
const msgs = (o: any, old?: any) => validateCrd(o, old).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe('CustomResourceDefinition validation', () => {
  it('accepts a valid CRD and defaults singular, listKind and conversion', () => {
    assert.deepEqual(msgs(good()), []);
    const o: any = good();
    delete o.spec.names.singular;
    delete o.spec.names.listKind;
    customResourceDefinitions.defaults!(o);
    assert.deepEqual([o.spec.names.singular, o.spec.names.listKind, o.spec.conversion.strategy], ['crontab', 'CronTabList', 'None']);
  });

  it('reports names, group, scope and versions with upstream paths', () => {
    const o: any = good();
    o.metadata.name = 'x.example.com';
    o.spec.group = 'example';
    o.spec.scope = '';
    o.spec.names.shortNames = ['Bad_'];
    o.spec.names.kind = 'Cron_Tab';
    o.spec.versions.push({ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } });
    assert.deepEqual(msgs(o), [
      'metadata.name: Invalid value: "x.example.com": must be spec.names.plural+"."+spec.group',
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
      'spec.scope: Required value',
      'spec.versions: Invalid value: [{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}},{"name":"v2","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]: must have exactly one version marked as storage version',
      `spec.names.kind: Invalid value: "Cron_Tab": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      `spec.names.shortNames[0]: Invalid value: "Bad_": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });

  it('lets every version be unserved (as upstream) but not v1beta1-style preserveUnknownFields', () => {
    const o: any = good();
    o.spec.versions[0].served = false;
    assert.deepEqual(msgs(o), []);
    o.spec.preserveUnknownFields = true;
    assert.deepEqual(msgs(o), ['spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead']);
  });

  it('keeps group and plural, and scope and kind once established', () => {
    const old: any = { ...good(), status: { conditions: [{ type: 'Established', status: 'True' }], storedVersions: ['v1'] } };
    const o: any = good();
    o.spec.scope = 'Cluster';
    o.spec.names.kind = 'Other';
    o.spec.names.listKind = 'OtherList';
    assert.deepEqual(msgs(o, old), ['spec.scope: Invalid value: "Cluster": field is immutable', 'spec.names.kind: Invalid value: "Other": field is immutable']);
  });

  it('adds the cleanup finalizer and a Terminating condition on the first delete', () => {
    const o: any = { ...good(), status: { conditions: [] } };
    customResourceDefinitions.prepareForDelete!(o, '2026-01-01T00:00:00Z');
    assert.deepEqual(o.metadata.finalizers, ['customresourcecleanup.apiextensions.k8s.io']);
    assert.deepEqual(o.status.conditions, [{ type: 'Terminating', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' }]);
  });
});
