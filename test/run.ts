/**
 * `npm test`: runs every test file with node:test, captures everything the run logs (the test
 * output and every server log), then proves that none of the secrets created during the run appears
 * in any of it (L2). Exits non-zero if a test failed or a secret leaked.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const artifacts = mkdtempSync(join(tmpdir(), 'gatehouse-test-run-'));
const outputFile = join(artifacts, 'test-output.log');
const output = createWriteStream(outputFile);
const patterns =
  process.argv.length > 2
    ? process.argv.slice(2)
    : ['src/**/*.test.ts', 'test/**/*.test.ts', 'packages/*/test/**/*.test.ts'];

const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', ...patterns],
  {
    env: { ...process.env, GATEHOUSE_TEST_ARTIFACTS: artifacts },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output.write(chunk);
});
child.stderr.on('data', (chunk: Buffer) => {
  process.stderr.write(chunk);
  output.write(chunk);
});
const code: number = await new Promise((resolve) => child.on('close', (status) => resolve(status ?? 1)));
await new Promise((resolve) => output.end(resolve));

const secretsFile = join(artifacts, 'secrets.txt');
const secrets = existsSync(secretsFile)
  ? [
      ...new Set(
        readFileSync(secretsFile, 'utf8')
          .split('\n')
          .filter((s) => s.length >= 16),
      ),
    ]
  : [];
const logDir = join(artifacts, 'logs');
const files = [outputFile, ...(existsSync(logDir) ? readdirSync(logDir).map((f) => join(logDir, f)) : [])];
let bytes = 0;
const leaks: string[] = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  bytes += text.length;
  for (const secret of secrets) {
    if (text.includes(secret)) leaks.push(`${file}: contains a secret starting ${secret.slice(0, 10)}…`);
  }
}
console.log(
  `\nlog scan: ${secrets.length} secrets created during the run, ${files.length} log files (${bytes} bytes) scanned, ${leaks.length} leaks`,
);
for (const leak of leaks) console.error(`LEAK ${leak}`);
console.log(`artifacts kept in ${artifacts}`);
process.exit(code !== 0 ? code : leaks.length > 0 ? 1 : 0);
