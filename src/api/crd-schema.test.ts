import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, structuralErrors, validateCustomObject, type CrdSchema } from './crd-schema.js';
import { fieldErrorMessage } from '../apiserver/errors.js';
import type { FieldError } from './types.js';

const schema: CrdSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        image: { type: 'string', minLength: 1, maxLength: 10 },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
        mode: { type: 'string', enum: ['Fast', 'Slow'], default: 'Fast' },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        note: { type: 'string', nullable: true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        nested: { type: 'object', default: {}, properties: { level: { type: 'integer', default: 3 } } },
      },
    },
  },
};

/** Errors as kube-apiserver prints them: `field: message`. */
function messages(errs: FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
}

const valid = () => ({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'x' }, spec: { cronSpec: '* * * * */5', image: 'img' } });

describe('custom object schema validation', () => {
  it('accepts a valid object (metadata, apiVersion and kind are not the schema\'s business)', () => {
    assert.deepEqual(validateCustomObject(schema, valid()), []);
  });

  it('reports a type mismatch as upstream does', () => {
    const o: any = valid();
    o.spec.replicas = 'three';
    assert.deepEqual(messages(validateCustomObject(schema, o)), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
    o.spec.replicas = 1.5;
    assert.deepEqual(messages(validateCustomObject(schema, o)), ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']);
  });

  it('checks required, enum, bounds, lengths, patterns and item counts', () => {
    const o: any = { spec: { image: '', replicas: 0, ratio: 0, mode: 'Medium', tags: ['a', 'b', 'c'] } };
    assert.deepEqual(messages(validateCustomObject(schema, o)), [
      'spec.cronSpec: Required value',
      'spec.image: Invalid value: "": spec.image in body should be at least 1 chars long',
      'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
      'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
      'spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"',
      'spec.tags: Too many: 3: must have at most 2 items',
    ]);
    const p: any = { spec: { cronSpec: 'often', image: 'a-very-long-image', replicas: 11, tags: [] } };
    assert.deepEqual(messages(validateCustomObject(schema, p)), [
      "spec.cronSpec: Invalid value: \"often\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'",
      'spec.image: Too long: may not be more than 10 bytes',
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
      'spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items',
    ]);
  });

  it('honours nullable, int-or-string, items, additionalProperties and preserve-unknown-fields', () => {
    const o: any = valid();
    o.spec.note = null;
    o.spec.port = 'http';
    o.spec.extra = { anything: [1, { b: true }] };
    assert.deepEqual(validateCustomObject(schema, o), []);
    o.spec.port = 8080;
    assert.deepEqual(validateCustomObject(schema, o), []);
    o.spec.port = true;
    o.spec.image = null;
    o.spec.tags = ['a', 2];
    o.spec.labels = { a: 'b', c: 1 };
    assert.deepEqual(messages(validateCustomObject(schema, o)), [
      'spec.image: Invalid value: "null": spec.image in body must be of type string: "null"',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      'spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
      'spec.labels.c: Invalid value: "integer": spec.labels.c in body must be of type string: "integer"',
    ]);
  });
});

describe('value validations in allOf, anyOf, oneOf and not', () => {
  const s: CrdSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' }, n: { type: 'integer', allOf: [{ minimum: 1 }], not: { enum: [13] } } },
        anyOf: [{ required: ['a'] }, { required: ['b'] }],
        oneOf: [{ required: ['a'] }, { required: ['n'] }],
      },
    },
  };
  it('accepts a value that satisfies them', () => {
    assert.deepEqual(validateCustomObject(s, { spec: { a: 'x' } }), []);
  });
  it('reports each failed combinator on the field', () => {
    assert.deepEqual(messages(validateCustomObject(s, { spec: { n: 0 } })), [
      'spec.n: Invalid value: 0: spec.n in body should be greater than or equal to 1',
      'spec: Invalid value: {"n":0}: spec in body must validate at least one schema (anyOf)',
    ]);
    assert.deepEqual(messages(validateCustomObject(s, { spec: { a: 'x', n: 13 } })), [
      'spec.n: Invalid value: 13: spec.n in body must not validate the schema (not)',
      'spec: Invalid value: {"a":"x","n":13}: spec in body must validate one and only one schema (oneOf)',
    ]);
  });
});

describe('string formats', () => {
  const s: CrdSchema = { type: 'object', properties: { when: { type: 'string', format: 'date-time' }, id: { type: 'string', format: 'uuid' }, free: { type: 'string', format: 'anything' } } };
  it('checks the formats it knows, and ignores others', () => {
    assert.deepEqual(validateCustomObject(s, { when: '2026-01-02T03:04:05Z', id: '0b9f3a52-2d2e-4c59-9a51-7c3b1f0e2d11', free: '?' }), []);
    assert.deepEqual(messages(validateCustomObject(s, { when: 'yesterday', id: 'x' })), [
      'when: Invalid value: "yesterday": when in body must be of type date-time: "yesterday"',
      'id: Invalid value: "x": id in body must be of type uuid: "x"',
    ]);
  });
});

describe('defaulting', () => {
  it('fills absent fields top-down, including defaults inside defaulted objects', () => {
    const o: any = valid();
    applyDefaults(schema, o);
    assert.equal(o.spec.replicas, 1);
    assert.equal(o.spec.mode, 'Fast');
    assert.deepEqual(o.spec.nested, { level: 3 });
    assert.equal(o.metadata.name, 'x');
  });

  it('keeps values that are set', () => {
    const o: any = valid();
    o.spec.replicas = 5;
    o.spec.nested = { level: 7 };
    applyDefaults(schema, o);
    assert.equal(o.spec.replicas, 5);
    assert.deepEqual(o.spec.nested, { level: 7 });
  });
});

describe('structural schemas', () => {
  const base = 'spec.versions[0].schema.openAPIV3Schema';
  it('accepts a structural schema', () => {
    assert.deepEqual(structuralErrors(schema, base), []);
  });

  it('requires a schema, an object root and types on every specified field', () => {
    assert.deepEqual(messages(structuralErrors(undefined, base)), [`${base}: Required value: schemas are required`]);
    assert.deepEqual(messages(structuralErrors({ properties: {} }, base)), [`${base}.type: Required value: must not be empty at the root`]);
    assert.deepEqual(messages(structuralErrors({ type: 'object', properties: { spec: { properties: { a: { type: 'array' } } } } }, base)), [
      `${base}.properties[spec].type: Required value: must not be empty for specified object fields`,
      `${base}.properties[spec].properties[a].items: Required value: must be specified`,
    ]);
  });
});
