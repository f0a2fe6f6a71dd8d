import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { inspectCertificate } from '../../src/ops/certificate-fact.ts';
import type { CheckResult } from '../../src/ops/checklist-report.ts';
import { CONFIG_CHECKS, evaluate } from '../../src/ops/checks.ts';
import type { ConfigFacts } from '../../src/ops/config-facts.ts';
import { issueCertificate } from '../support/certificates.ts';
import { runGatehouse } from '../support/cli.ts';

interface Check {
  id: string;
  status: string;
  detail: string;
}

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** Review (wave 2): `gatehouse doctor` and the checklist, attacked from outside. */
describe('gatehouse doctor at the edges', () => {
  let dir: string;
  const env = (extra: Record<string, string>) => ({
    PATH: process.env.PATH ?? '',
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    ...extra,
  });
  const checkOf = (stdout: string, id: string): Check | undefined =>
    (JSON.parse(stdout).configuration.checks as Check[]).find((c) => c.id === id);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-edges-'));
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('never prints the password of a secret-scanning keys URL that carries one', async () => {
    const password = 'review-hunter2-Zq8xK3';
    const { stdout, stderr } = await runGatehouse(
      ['doctor', '--offline', '--json'],
      env({ GATEHOUSE_SECRET_SCANNING_KEYS_URL: `https://scanner:${password}@keys.example.com/list` }),
    );
    assert.match(stdout, /GATEHOUSE_SECRET_SCANNING_KEYS_URL/, 'the setting is named');
    assert.ok(!`${stdout}${stderr}`.includes(password), `the password is printed:\n${stdout}`);
  });

  it('fails an admin host that is every interface however it is spelled (0, 0.0, 0x0, 00 bind 0.0.0.0)', () => {
    const admin = CONFIG_CHECKS.find((c) => c.id === 'admin_port_private');
    assert.ok(admin);
    for (const adminHost of ['0', '0.0', '0x0', '00', '0.0.0', '::0', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0']) {
      const result: CheckResult | undefined = evaluate([admin], { adminHost } as ConfigFacts)[0];
      assert.equal(result?.status, 'fail', `${adminHost}: ${result?.status} (${result?.detail})`);
    }
  });

  it('answers with a report, not a crash, when the data directory holds a folder it may not list (lost+found of a mount)', {
    skip: process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv') ? 'needs root and setpriv' : false,
  }, async () => {
    const data = join(dir, 'mounted');
    mkdirSync(join(data, 'lost+found'), { recursive: true });
    chmodSync(data, 0o700);
    chmodSync(join(data, 'lost+found'), 0o700); // root's, as on a freshly made file system
    chownSync(data, 65534, 65534);
    chmodSync(dir, 0o755);
    const { stdout, stderr, code } = await promisify(execFile)(
      '/usr/bin/setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        MAIN,
        'doctor',
        '--offline',
        '--json',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, GATEHOUSE_DATA_DIR: data }, timeout: 30_000 },
    ).then(
      (r) => ({ ...r, code: 0 }),
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    assert.ok(stdout.trim().startsWith('{'), `doctor crashed instead of reporting (exit ${code}): ${stderr}`);
    assert.equal(checkOf(stdout, 'data_dir_private')?.status, 'pass', stdout);
  });

  it('does not pass a certificate that is not valid yet', async () => {
    const { certFile, keyFile } = await issueCertificate(mkdtempSync(join(dir, 'future-')), {
      validFromDays: 30,
    });
    const fact = await inspectCertificate({ certFile, keyFile });
    const tls = CONFIG_CHECKS.find((c) => c.id === 'tls_certificate');
    assert.ok(tls);
    const result: CheckResult | undefined = evaluate([tls], { certificate: fact } as ConfigFacts)[0];
    assert.notEqual(
      result?.status,
      'pass',
      `a certificate valid only from next month passes: ${result?.detail}`,
    );
  });
});
