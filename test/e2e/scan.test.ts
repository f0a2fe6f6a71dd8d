import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { findCredentials } from '../../src/cli/credential-scanner.ts';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const gatehouse = (...args: string[]) => runGatehouse(args);

describe('gatehouse scan', () => {
  it('exits 1 and names each place, never the credential; 0 on clean files; 2 on a missing path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-scan-cli-'));
    const key = recordSecret(generateCredential('gate', 'live'));
    writeFileSync(join(dir, '.env'), `PAYMENTS_API_KEY=${key}\n`);
    writeFileSync(join(dir, 'README.md'), 'Set PAYMENTS_API_KEY in your environment.\n');

    const found = await gatehouse('scan', dir);
    assert.equal(found.code, 1, found.stderr);
    assert.match(found.stdout, /\.env:1:18 {2}gate_live_\w{4}… {2}API key \(production\)/);
    assert.match(found.stdout, /1 Gatehouse credential found in 1 file \(2 files scanned\)/);
    assert.ok(!found.stdout.includes(key) && !found.stderr.includes(key), 'the scan printed the key');

    const json = await gatehouse('scan', '--json', dir);
    assert.equal(JSON.parse(json.stdout).findings.length, 1);
    assert.equal((await gatehouse('scan', '--prefix', 'other', dir)).code, 0);
    assert.equal((await gatehouse('scan', join(dir, 'README.md'))).code, 0);
    const missing = await gatehouse('scan', join(dir, 'nope'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope \(ENOENT\)/);
    assert.match(missing.stdout, /^scan incomplete: 1 path could not be read; 0 files scanned/);
    assert.ok(!missing.stdout.includes('no Gatehouse credentials found'), missing.stdout);
  });

  it('--pattern prints the regular expression to register with a code host, for this prefix', async () => {
    const printed = await gatehouse('scan', '--pattern', '--prefix', 'acme');
    assert.equal(printed.code, 0, printed.stderr);
    const pattern = new RegExp(printed.stdout.trim());
    assert.ok(pattern.test(`token=${recordSecret(generateCredential('acme', 'live'))};`));
    assert.ok(!pattern.test(recordSecret(generateCredential('gate', 'live'))), 'another prefix matches');
  });

  it('finds no credential in any file this repository tracks', async (t) => {
    let files: string[];
    try {
      files = (await run('git', ['ls-files', '-z'], { cwd: ROOT })).stdout.split('\0').filter(Boolean);
    } catch {
      t.skip('git is not available, or this is not a git checkout');
      return;
    }
    const { readFile } = await import('node:fs/promises');
    const leaks: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8').catch(() => '');
      for (const finding of findCredentials(text)) leaks.push(`${file}:${finding.line}:${finding.column}`);
    }
    assert.deepEqual(leaks, []);
  });
});
