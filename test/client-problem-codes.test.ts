import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PROBLEM_CODES as PACKAGE_CODES } from '../packages/client/src/problem-codes.ts';
import { PROBLEM_CODES } from '../src/http/problem-codes.ts';

it('@gatehouse/client types exactly the problem codes of the server catalogue', () => {
  assert.deepEqual([...PACKAGE_CODES].sort(), Object.keys(PROBLEM_CODES).sort());
});
