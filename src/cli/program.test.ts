import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from './program.ts';

/** Commands whose output is not a result: a server, a stream of deliveries. */
const NOT_A_RESULT = new Set(['gatehouse serve', 'gatehouse webhooks listen']);

function leaves(command: Command, path: string[] = []): { name: string; command: Command }[] {
  const here = [...path, command.name()];
  if (command.commands.length === 0) return [{ name: here.join(' '), command }];
  return command.commands.flatMap((child) => leaves(child, here));
}

describe('the gatehouse command tree', () => {
  it('gives every command that prints a result a --json option, for scripts and CI', () => {
    const all = leaves(buildProgram());
    for (const name of NOT_A_RESULT)
      assert.ok(
        all.some((leaf) => leaf.name === name),
        `${name} exists`,
      );
    assert.ok(all.length > 30, `${all.length} commands`);
    const missing = all
      .filter(({ name }) => !NOT_A_RESULT.has(name))
      .filter(({ command }) => !command.options.some((option) => option.long === '--json'))
      .map(({ name }) => name);
    assert.deepEqual(missing, []);
  });
});
