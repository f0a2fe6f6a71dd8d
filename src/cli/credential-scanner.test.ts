import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { findCredentials, scanPaths } from './credential-scanner.ts';

const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/);
const markers = fc.constantFrom('live', 'test', 'cslive', 'cstest', 'admin');
/** Text around a credential: anything but the characters a credential is made of right next to it. */
const filler = fc.string({ maxLength: 60 }).map((s) => s.replace(/[0-9A-Za-z_]+$/, ''));
const after = fc.string({ maxLength: 60 }).map((s) => s.replace(/^[0-9A-Za-z_]+/, ''));

describe('credential scanner', () => {
  it('finds every credential in any text, at its line and column, without ever repeating it (property)', () => {
    fc.assert(
      fc.property(
        prefixes,
        markers,
        fc.array(filler, { maxLength: 3 }),
        filler,
        after,
        (prefix, marker, lines, head, tail) => {
          const credential = generateCredential(prefix, marker);
          const text = [...lines, `${head}${credential}${tail}`].join('\n');
          const findings = findCredentials(text);
          const expected = { line: lines.length + 1, column: head.length + 1 };
          const hit = findings.find((f) => f.line === expected.line && f.column === expected.column);
          assert.ok(hit, `not found in ${JSON.stringify(text)}`);
          assert.ok(credential.startsWith(hit.hint.slice(0, -1)));
          assert.ok(!JSON.stringify(findings).includes(credential));
        },
      ),
    );
  });

  it('reports nothing for a credential with one character changed (property)', () => {
    fc.assert(
      fc.property(
        prefixes,
        markers,
        fc.nat(),
        fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
        (prefix, marker, at, replacement) => {
          const credential = generateCredential(prefix, marker);
          const bodyStart = credential.lastIndexOf('_') + 1;
          const index = bodyStart + (at % (credential.length - bodyStart));
          fc.pre(credential[index] !== replacement);
          const typo = credential.slice(0, index) + replacement + credential.slice(index + 1);
          assert.deepEqual(findCredentials(`key=${typo}`), []);
        },
      ),
    );
  });

  it('finds a credential glued to other letters, names its kind, and keeps to one prefix when asked', () => {
    const live = generateCredential('gate', 'live');
    const secret = generateCredential('acme', 'cstest');
    const text = `x${live}\nclient_secret: ${secret}`;
    assert.deepEqual(
      findCredentials(text).map((f) => [f.line, f.column, f.kind]),
      [
        [1, 2, 'API key (production)'],
        [2, 16, 'OAuth client secret (sandbox)'],
      ],
    );
    assert.deepEqual(
      findCredentials(text, 'acme').map((f) => f.kind),
      ['OAuth client secret (sandbox)'],
    );
  });

  it('walks directories, skipping .git, node_modules and binary files, and names what it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-scan-'));
    const key = generateCredential('gate', 'test');
    for (const sub of ['.git', 'node_modules', 'src']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, '.git', 'config'), key);
    writeFileSync(join(dir, 'node_modules', 'dep.js'), key);
    writeFileSync(join(dir, 'image.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(key)]));
    writeFileSync(join(dir, 'src', 'settings.ts'), `export const key = '${key}';\n`);
    const report = await scanPaths([dir, join(dir, 'missing.txt')]);
    assert.deepEqual(
      report.findings.map((f) => [f.file, f.line, f.column]),
      [[join(dir, 'src', 'settings.ts'), 1, 21]],
    );
    assert.equal(report.filesScanned, 1);
    assert.deepEqual(report.unreadable, [{ path: join(dir, 'missing.txt'), reason: 'ENOENT' }]);
  });
});
