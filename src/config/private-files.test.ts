import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../db/database.ts';
import { MIGRATIONS } from '../server/migrations.ts';
import { ensureDevelopmentCertificate } from '../tls/development-certificate.ts';
import { loadDevelopmentSecrets } from './development-secrets.ts';
import { dataDirExposure } from './private-files.ts';

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('files in the data directory', { skip: process.platform === 'win32' }, () => {
  let root: string;
  let umask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'gatehouse-files-'));
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('in an existing 0755 directory the database and its -wal and -shm files are created 0600', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    // Migrations write, so the -wal and -shm files exist while the database is open.
    const database = await openDatabase({ url: null, dataDir: dir, migrations: MIGRATIONS });
    for (const suffix of ['', '-wal', '-shm']) {
      assert.equal(modeOf(join(dir, `gatehouse.sqlite${suffix}`)), '600', `gatehouse.sqlite${suffix}`);
    }
    await database.close();
    assert.equal(modeOf(dir), '755', 'a directory Gatehouse did not create keeps its mode');
  });

  it('narrows the database files an older version left readable', async () => {
    const dir = join(root, 'old');
    const first = await openDatabase({ url: null, dataDir: dir, migrations: MIGRATIONS });
    await first.close();
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        chmodSync(join(dir, `gatehouse.sqlite${suffix}`), 0o644);
      } catch {}
    }
    const second = await openDatabase({ url: null, dataDir: dir, migrations: MIGRATIONS });
    assert.equal(modeOf(join(dir, 'gatehouse.sqlite')), '600');
    assert.equal(modeOf(join(dir, 'gatehouse.sqlite-wal')), '600');
    await second.close();
  });

  it('a data directory Gatehouse creates is 0700, and the generated secrets and TLS key are 0600', async () => {
    const dir = join(root, 'fresh', 'data');
    loadDevelopmentSecrets(dir);
    const tls = await ensureDevelopmentCertificate(dir);
    assert.equal(modeOf(dir), '700');
    assert.equal(modeOf(join(dir, 'development-secrets.json')), '600');
    assert.equal(modeOf(tls.keyFile), '600');
  });

  it('a renewed development key is 0600 even when the old one was not', async () => {
    const dir = join(root, 'renew');
    const tls = await ensureDevelopmentCertificate(dir);
    writeFileSync(tls.certFile, 'not a certificate');
    chmodSync(tls.keyFile, 0o644);
    await ensureDevelopmentCertificate(dir);
    assert.equal(modeOf(tls.keyFile), '600');
  });

  it('warns when others can read the data directory, and only then', () => {
    const dir = join(root, 'warned');
    loadDevelopmentSecrets(dir);
    assert.equal(dataDirExposure(dir), null);
    chmodSync(dir, 0o755);
    assert.match(dataDirExposure(dir) ?? '', /mode 0755\) can be read by other users: run chmod 700/);
  });
});
