import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobs } from './other.js';

const now = new Date('2026-01-01T00:10:00Z');
const job = (extra: any) => ({ metadata: { name: 'j', creationTimestamp: '2026-01-01T00:00:00Z', ...extra.metadata }, spec: { template: { spec: { containers: [] } } }, status: extra.status ?? {} });
const cond = (type: string) => ({ type, status: 'True' });

test('job STATUS follows printJob order: outcome, then Terminating, then Suspended', () => {
  const deleting = { deletionTimestamp: '2026-01-01T00:09:00Z' };
  assert.equal(jobs.row(job({ metadata: deleting, status: { conditions: [cond('Suspended')] } }), now)[1], 'Terminating');
  assert.equal(jobs.row(job({ metadata: deleting, status: { conditions: [cond('FailureTarget')] } }), now)[1], 'Terminating');
  assert.equal(jobs.row(job({ metadata: deleting, status: { conditions: [cond('Complete')] } }), now)[1], 'Complete');
  assert.equal(jobs.row(job({ status: { conditions: [cond('Suspended')] } }), now)[1], 'Suspended');
  assert.equal(jobs.row(job({}), now)[1], 'Running');
});

test('job COMPLETIONS and DURATION cells', () => {
  const done = job({ status: { succeeded: 1, startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:00:42Z', conditions: [cond('Complete')] } });
  (done.spec as any).completions = 1;
  assert.deepEqual(jobs.row(done, now).slice(1, 4), ['Complete', '1/1', '42s']);
  const par = job({});
  (par.spec as any).parallelism = 3;
  assert.deepEqual(jobs.row(par, now).slice(2, 4), ['0/1 of 3', '']);
});
