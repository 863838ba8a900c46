import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addQuantity, canonicalQuantity, cmpQuantity, formatQuantity, parseQuantity, quantityMilliValue, quantityValue, subQuantity } from './quantity.js';

describe('quantity arithmetic', () => {
  it('prints canonical forms as upstream Quantity.String()', () => {
    const cases: [string, string][] = [
      ['1000m', '1'], ['500m', '500m'], ['1500m', '1500m'], ['0.5', '500m'], ['1000', '1k'], ['1500', '1500'],
      ['1024Mi', '1Gi'], ['128Mi', '128Mi'], ['1536Mi', '1536Mi'], ['1e3', '1e3'], ['0', '0'], ['1.5Gi', '1536Mi'], ['0.1', '100m'], ['2', '2'], ['-250m', '-250m'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, input);
  });
  it('adds, subtracts and compares exactly, keeping the first operand format', () => {
    const sum = addQuantity(parseQuantity('100m'), parseQuantity('400m'));
    assert.equal(formatQuantity(sum), '500m');
    assert.equal(formatQuantity(addQuantity(sum, parseQuantity('500m'))), '1');
    assert.equal(formatQuantity(addQuantity(parseQuantity('64Mi'), parseQuantity('64Mi'))), '128Mi');
    assert.equal(formatQuantity(subQuantity(parseQuantity('1Gi'), parseQuantity('512Mi'))), '512Mi');
    assert.equal(cmpQuantity(parseQuantity('1'), parseQuantity('1000m')), 0);
    assert.equal(cmpQuantity(parseQuantity('1Gi'), parseQuantity('1G')), 1);
    assert.equal(cmpQuantity(parseQuantity('0.1'), parseQuantity('101m')), -1);
  });
  it('rounds up to whole and milli units as Value()/MilliValue()', () => {
    assert.equal(quantityValue(parseQuantity('1500m')), 2);
    assert.equal(quantityMilliValue(parseQuantity('1.0001m')), 2);
    assert.equal(quantityMilliValue(parseQuantity('2')), 2000);
  });
  it('refuses what is not a quantity', () => {
    for (const bad of ['', 'abc', '1Kb', '1.2.3', 'm']) assert.throws(() => parseQuantity(bad), bad);
  });
});
