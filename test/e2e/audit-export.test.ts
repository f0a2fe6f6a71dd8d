import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runGatehouse } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/**
 * L3 over the real server: an export verifies offline with nothing but the public key and fails
 * for each kind of tampering; after a purge through a checkpoint both verifies still pass.
 */
const probe = await createTestPostgres();
await probe?.drop();
const backends = [
  { name: 'SQLite', database: 'sqlite' as const, skip: false as const },
  {
    name: 'PostgreSQL',
    database: 'postgres' as const,
    skip: probe ? (false as const) : POSTGRES_SKIP_MESSAGE,
  },
];

for (const backend of backends) {
  describe(`verifiable audit exports on ${backend.name}`, { skip: backend.skip }, () => {
    let server: TestServer;
    let cliEnv: Record<string, string>;
    let dir: string;
    const gatehouse = (...args: string[]) => runGatehouse(args, cliEnv);
    /** The offline verify: no server address, no token, no database settings at all. */
    const verifyOffline = (file: string, key: string) =>
      runGatehouse(['audit', 'verify', '--file', file, '--public-key', key, '--json'], {
        PATH: process.env.PATH ?? '',
        HOME: dir,
      });
    const change = async (name: string) =>
      assert.equal((await server.admin('POST', '/admin/v1/integrators', { body: { name } })).status, 201);

    before(async () => {
      server = await startTestServer({ name: `audit-export-${backend.name}`, database: backend.database });
      cliEnv = {
        ...server.env,
        PATH: process.env.PATH ?? '',
        GATEHOUSE_ADMIN_URL: server.adminUrl,
        GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
      };
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-export-'));
      for (const name of ['Acme', 'Globex', 'Initech', 'Umbrella']) await change(name);
    });
    after(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('exports JSON Lines ending with a checkpoint of its last entry, which verifies offline with the public key', async () => {
      const key = await gatehouse('audit', 'public-key');
      assert.equal(key.code, 0, key.stderr);
      assert.match(key.stdout, /^-----BEGIN PUBLIC KEY-----/);
      writeFileSync(join(dir, 'audit-key.pem'), key.stdout);
      const exported = await gatehouse('audit', 'export', '--out', join(dir, 'audit.jsonl'), '--json');
      assert.equal(exported.code, 0, exported.stderr);
      const summary = JSON.parse(exported.stdout);
      assert.ok(summary.entries >= 4 && summary.checkpoints >= 1, exported.stdout);
      const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n');
      const last = JSON.parse(lines.at(-1) as string);
      assert.equal(last.type, 'checkpoint');
      assert.equal(last.seq, JSON.parse(lines[summary.entries - 1] as string).seq);

      const verified = await verifyOffline(join(dir, 'audit.jsonl'), join(dir, 'audit-key.pem'));
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      const result = JSON.parse(verified.stdout);
      assert.equal(result.ok, true);
      assert.equal(result.entries_checked, summary.entries);
      assert.equal(result.uncovered_entries, 0);
      const human = await runGatehouse(
        ['audit', 'verify', '--file', join(dir, 'audit.jsonl'), '--public-key', join(dir, 'audit-key.pem')],
        { PATH: process.env.PATH ?? '' },
      );
      assert.match(
        human.stdout,
        /^audit export verified: \d+ entries and \d+ checkpoints; signed through entry \d+/,
      );
    });

    it('reports an edited, inserted, deleted or reordered entry and exits 2', async () => {
      const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n');
      const tamperings: Record<string, string[]> = {
        entry_modified: lines.map((line, i) =>
          i === 1 ? JSON.stringify({ ...JSON.parse(line), ip: '203.0.113.9' }) : line,
        ),
        entry_inserted: [...lines.slice(0, 2), lines[1] as string, ...lines.slice(2)],
        entry_deleted: lines.filter((_, i) => i !== 2),
        entries_reordered: [lines[0] as string, lines[2] as string, lines[1] as string, ...lines.slice(3)],
      };
      for (const [reason, tampered] of Object.entries(tamperings)) {
        const file = join(dir, `${reason}.jsonl`);
        writeFileSync(file, `${tampered.join('\n')}\n`);
        const verified = await verifyOffline(file, join(dir, 'audit-key.pem'));
        assert.equal(verified.code, 2, `${reason}: ${verified.stdout}${verified.stderr}`);
        assert.equal(JSON.parse(verified.stdout).first_broken.reason, reason);
      }
      const human = await runGatehouse(
        [
          'audit',
          'verify',
          '--file',
          join(dir, 'entry_deleted.jsonl'),
          '--public-key',
          join(dir, 'audit-key.pem'),
        ],
        { PATH: process.env.PATH ?? '' },
      );
      assert.equal(human.code, 2);
      assert.match(human.stdout, /^audit export BROKEN: .*\(entry_deleted, line 3\)/);
    });

    it('fails the checkpoint signature against another public key', async () => {
      const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' });
      writeFileSync(join(dir, 'other.pem'), other);
      const verified = await verifyOffline(join(dir, 'audit.jsonl'), join(dir, 'other.pem'));
      assert.equal(verified.code, 2);
      assert.equal(JSON.parse(verified.stdout).first_broken.reason, 'checkpoint_signature_invalid');
    });

    it('lets auditors read checkpoints, the key and the export, but not sign', async () => {
      const created = await server.admin('POST', '/admin/v1/admin-tokens', {
        body: { name: 'auditor', role: 'auditor' },
      });
      const token = created.json.token as string;
      for (const path of [
        '/admin/v1/audit/public-key',
        '/admin/v1/audit/checkpoints',
        '/admin/v1/audit/export',
      ])
        assert.equal((await server.admin('GET', path, { token })).status, 200, path);
      const denied = await server.admin('POST', '/admin/v1/audit/checkpoints', { token });
      assert.equal(denied.status, 403);
      const key = await server.admin('GET', '/admin/v1/audit/public-key');
      assert.equal(key.json.algorithm, 'Ed25519');
      assert.equal(key.json.jwk.crv, 'Ed25519');
    });

    it('signs one checkpoint per head when several requests race', async () => {
      await change('Hooli');
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => server.admin('POST', '/admin/v1/audit/checkpoints')),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 201]);
      assert.equal(new Set(answers.map((a) => a.json.checkpoint.seq)).size, 1);
    });

    it('after a purge through a checkpoint, the database verify and a new export both pass', async () => {
      const { audit, database } = server.gatehouse.services;
      const [checkpoint] = await audit.checkpoints.list(database.db, { limit: 1 });
      assert.ok(checkpoint);
      const purged = await audit.purgeAuditBefore(database.db, checkpoint, {
        actor: { type: 'system', id: null, name: 'retention' },
      });
      assert.equal(purged.through_seq, checkpoint.seq);
      assert.equal(purged.entries_removed, checkpoint.seq);
      await change('Pied Piper');

      const fromDatabase = await gatehouse('audit', 'verify', '--json');
      assert.equal(fromDatabase.code, 0, fromDatabase.stdout + fromDatabase.stderr);
      assert.equal(JSON.parse(fromDatabase.stdout).started_after, checkpoint.seq);

      const file = join(dir, 'after-purge.jsonl');
      assert.equal((await gatehouse('audit', 'export', '--out', file)).code, 0);
      const verified = await verifyOffline(file, join(dir, 'audit-key.pem'));
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      assert.equal(JSON.parse(verified.stdout).started_after, checkpoint.seq);

      // Deleting entries behind the purge's back is still found: the next purge record is missing.
      await change('Hooli XYZ');
      const next = await audit.checkpoints.create(database.db);
      assert.ok(next?.created);
      await change('Hooli XYZ 2');
      await database.db.deleteFrom('audit_log').where('seq', '<=', next.checkpoint.seq).execute();
      await database.db.deleteFrom('audit_checkpoints').where('seq', '<', next.checkpoint.seq).execute();
      const broken = await gatehouse('audit', 'verify', '--json');
      assert.equal(broken.code, 2);
      assert.equal(JSON.parse(broken.stdout).first_broken.reason, 'entries_missing');
    });
  });
}

describe('periodic audit checkpoints', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      name: 'audit-checkpoint-interval',
      env: { GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL: '200ms' },
    });
  });
  after(() => server.close());

  it('signs the head every GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL when new entries exist', async () => {
    assert.equal(
      (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Tick' } })).status,
      201,
    );
    const head = (await server.admin('GET', '/admin/v1/audit?limit=1')).json.data[0].seq as number;
    const signed = await eventually(
      async () => {
        const newest = (await server.admin('GET', '/admin/v1/audit/checkpoints?limit=1')).json.data[0];
        return newest?.seq === head ? newest : undefined;
      },
      { what: 'a checkpoint of the head' },
    );
    assert.equal(signed.seq, head);
  });
});
