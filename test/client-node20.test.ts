import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { requireSystemNode20 } from './support/system-node.ts';

const PACKAGE = join(import.meta.dirname, '..', 'packages', 'client');

it('the @gatehouse/client unit tests pass on the system Node 20, compiled to JavaScript', (t) => {
  const system = requireSystemNode20(t);
  if (!system) return;
  execFileSync(
    process.execPath,
    [
      join(PACKAGE, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(PACKAGE, 'tsconfig.test.json'),
    ],
    {
      stdio: 'inherit',
    },
  );
  const dir = join(PACKAGE, '.test-build', 'test');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => join(dir, f));
  assert.ok(files.length >= 2, 'compiled test files');
  // Without the parent runner's NODE_TEST_CONTEXT, the child reports its own results on stdout.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('NODE_TEST')),
  );
  const run = spawnSync(system.node, ['--test', '--test-reporter=tap', ...files], {
    encoding: 'utf8',
    timeout: 120_000,
    env,
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /# fail 0/);
});
