import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { registerReportCommand } from './report-command.ts';
import { timelineCommand } from './timeline-command.ts';

const leaves = (command: Command): Command[] =>
  command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);

it('every report and incident timeline command takes --json', () => {
  const program = new Command('gatehouse');
  registerReportCommand(program);
  program.command('incident').addCommand(timelineCommand());
  const commands = leaves(program);
  assert.deepEqual(
    commands.map((command) => command.name()),
    ['access', 'timeline'],
  );
  for (const command of commands)
    assert.ok(
      command.options.some((option) => option.long === '--json'),
      `${command.name()} has --json`,
    );
});
