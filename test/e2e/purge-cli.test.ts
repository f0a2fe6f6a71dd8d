import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.ts';
import { loadConfig } from '../../src/server/config.ts';
import { createServices } from '../../src/server/services.ts';
import { logFile } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';
import { testEnvironment } from '../support/test-config.ts';

const DAY = 86_400_000;

describe('gatehouse purge', () => {
  const { env, dataDir } = testEnvironment({ GATEHOUSE_RETENTION_SECURITY_EVENTS: '30d' });
  const cliEnv = { ...env, PATH: process.env.PATH ?? '' };

  before(async () => {
    // The deployment's database with two events past 30 days and one recent, written before the CLI runs.
    const services = await createServices(
      loadConfig(env),
      createLogger({ level: 'debug', destination: logFile('purge-cli') }),
    );
    const now = Date.now();
    const rows = [now - 40 * DAY, now - 31 * DAY, now - DAY].map((created_at, i) => ({
      id: `event-${i}`,
      created_at,
      event: 'auth_failure',
      source: 'test',
      credential_id: null,
      integrator_id: null,
      ip: null,
      details_json: '{}',
    }));
    await services.database.db.insertInto('security_events').values(rows).execute();
    await services.close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('--dry-run --json reports each class with its cutoff and what would go, and deletes nothing', async () => {
    const dry = await runGatehouse(['purge', '--dry-run', '--json'], cliEnv);
    assert.equal(dry.code, 0, dry.stderr);
    const report = JSON.parse(dry.stdout);
    assert.equal(report.dry_run, true);
    assert.deepEqual(
      report.classes.map((entry: { class: string }) => entry.class),
      ['USAGE', 'WEBHOOK_PAYLOADS', 'SECURITY_EVENTS', 'ALERTS', 'IDEMPOTENCY', 'AUDIT'],
    );
    const events = report.classes.find((entry: { class: string }) => entry.class === 'SECURITY_EVENTS');
    assert.equal(events.retention, '30d');
    assert.equal(events.outcome, 'would_purge');
    assert.deepEqual(events.tables, { security_events: 2 });
    assert.ok(Math.abs(Date.parse(events.cutoff) - (Date.now() - 30 * DAY)) < 60_000);
    const audit = report.classes.find((entry: { class: string }) => entry.class === 'AUDIT');
    assert.equal(audit.outcome, 'kept_forever');
    // Nothing was deleted: a second dry run counts the same.
    const again = JSON.parse((await runGatehouse(['purge', '--dry-run', '--json'], cliEnv)).stdout);
    assert.equal(again.rows, report.rows);
  });

  it('prints a table for people, then purges and reports what was deleted', async () => {
    const table = await runGatehouse(['purge', '--dry-run'], cliEnv);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /SECURITY_EVENTS\s+30d\s+\S+\s+2\s+security_events=2/);
    assert.match(table.stdout, /AUDIT\s+forever\s+-\s+-\s+kept forever/);
    assert.match(table.stdout, /dry run: 2 rows would be deleted; nothing was deleted/);
    const purged = await runGatehouse(['purge', '--json'], cliEnv);
    assert.equal(purged.code, 0, purged.stderr);
    const report = JSON.parse(purged.stdout);
    assert.equal(report.dry_run, false);
    assert.equal(report.rows, 2);
    const after = JSON.parse((await runGatehouse(['purge', '--dry-run', '--json'], cliEnv)).stdout);
    assert.equal(after.rows, 0);
  });

  it('a wrong retention value stops the command with a message naming the variable', async () => {
    const bad = await runGatehouse(['purge', '--dry-run'], {
      ...cliEnv,
      GATEHOUSE_RETENTION_USAGE: 'ninety days',
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /GATEHOUSE_RETENTION_USAGE must be a duration/);
  });
});
