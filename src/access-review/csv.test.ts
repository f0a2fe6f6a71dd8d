import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { parseCsv } from '../../test/support/rfc4180.ts';
import { csvField, toCsv } from './csv.ts';

const FORMULA = /^[=+\-@\t\r]/;

it('every table of strings survives a round trip through RFC 4180, formula-like cells guarded with a leading quote', () => {
  const cell = fc.oneof(
    fc.string(),
    fc.constantFrom(
      '=HYPERLINK("http://x")',
      '+1',
      '-1+2',
      '@SUM(A1)',
      '\t=1',
      '\r=1',
      'a,b',
      'say "hi"',
      'two\r\nlines',
      '',
    ),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.array(cell, { minLength: 6, maxLength: 6 })),
      (width, table) => {
        const columns = Array.from({ length: width }, (_, i) => `c${i}`);
        const rows = table.map((cells) => Object.fromEntries(columns.map((column, i) => [column, cells[i]])));
        const parsed = parseCsv(toCsv(columns, rows));
        assert.deepEqual(parsed[0], columns);
        assert.deepEqual(
          parsed.slice(1),
          table.map((cells) =>
            cells.slice(0, width).map((text) => (FORMULA.test(text as string) ? `'${text}` : text)),
          ),
        );
        for (const record of parsed.slice(1))
          for (const field of record) assert.doesNotMatch(field, FORMULA, 'no cell a spreadsheet would run');
      },
    ),
  );
});

it('writes numbers, booleans, nothing and lists as a reviewer expects', () => {
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(-3), '-3');
  assert.equal(csvField(true), 'true');
  assert.equal(csvField(['orders:read', 'orders:write']), 'orders:read orders:write');
  assert.equal(csvField(['=1', 'x']), "'=1 x");
  assert.equal(csvField('-1'), "'-1");
  assert.equal(toCsv(['a', 'b'], [{ a: 'x', b: null }]), 'a,b\r\nx,\r\n');
});
