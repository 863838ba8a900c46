import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expand, mappingFuncFor } from './expansion.js';

describe('$(VAR) expansion (upstream third_party expansion rules)', () => {
  const vars = new Map([
    ['VAR_A', 'A'],
    ['VAR_B', 'B'],
    ['VAR_C', 'C'],
    ['VAR_REF', '$(VAR_A)'],
    ['VAR_EMPTY', ''],
  ]);
  const m = mappingFuncFor(vars);
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-1', 'A-1'],
    ['$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
    ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['foo\\$(VAR_C)bar', 'foo\\Cbar'],
    ['$(VAR_EMPTY)', ''],
    ['x$(VAR_EMPTY)y', 'xy'],
    ['$(VAR_REF)', '$(VAR_A)'], // never expanded twice
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$(VAR_A)$(UNKNOWN)', 'A$(UNKNOWN)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(VAR_A)$(VAR_B', 'A$(VAR_B'],
    ['$((VAR_A)', '$((VAR_A)'],
    ['$()', '$()'],
    ['$', '$'],
    ['$(VAR_A)$', 'A$'],
    ['$VAR_A', '$VAR_A'],
    ['$$', '$'],
    ['$$$', '$$'],
    ['no vars here', 'no vars here'],
    ['', ''],
  ];
  for (const [input, want] of cases) it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => assert.equal(expand(input, m), want));

  it('looks names up in each context in order', () => {
    const first = mappingFuncFor({ X: '1' }, new Map([['X', '2'], ['Y', '3']]));
    assert.equal(expand('$(X)$(Y)', first), '13');
  });
});
