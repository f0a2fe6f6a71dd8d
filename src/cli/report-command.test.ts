import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { Command } from 'commander';
import { ACCESS_CSV_COLUMNS } from '../access-review/access-csv.ts';
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

it('the README lists the access review CSV columns exactly as `report access --format csv` writes them', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const intro = 'with these columns in this order:';
  const start = readme.indexOf(intro);
  assert.notEqual(start, -1, `the README says "${intro}"`);
  const end = readme.indexOf('Empty means none.', start);
  assert.notEqual(end, -1, 'the column list ends with "Empty means none."');
  // The list: each column in backticks, with its values or notes in parentheses after it.
  const list = readme
    .slice(start + intro.length, end)
    .replace(/\s+/g, ' ')
    .replace(/\([^)]*\)/g, '');
  const documented = [...list.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
  assert.deepEqual(documented, [...ACCESS_CSV_COLUMNS]);
  assert.equal(list.replace(/`[^`]+`/g, '').replace(/[\s,.]/g, ''), '', 'nothing else in the list');
});
