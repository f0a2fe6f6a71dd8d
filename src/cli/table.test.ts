import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRecord, formatTable } from './table.ts';

describe('CLI tables', () => {
  it('print stored text with its control characters and bidi overrides made harmless', () => {
    const name = 'prod\u001b[2J\u001b]0;owned\u0007 key\u202e';
    const table = formatTable([{ id: 'key_1', name }], ['id', 'name']);
    const record = formatRecord({ name, tags: [name] });
    for (const output of [table, record]) {
      assert.ok(
        ![...output].some((c) => (c < ' ' && c !== '\n') || c === '\u007f' || c === '\u202e'),
        output,
      );
      assert.match(output, /prod\?\[2J\?\]0;owned\? key\?/);
    }
  });
});
