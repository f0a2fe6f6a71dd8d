import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AuditContext } from '../../src/audit/audit-log.ts';
import type { ApiError } from '../../src/http/api-error.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Config } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { logFile } from '../support/artifacts.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { testConfig } from '../support/test-config.ts';

const postgres = await createTestPostgres();
const backends: { name: string; skip: string | false; database: () => TestPostgres | undefined }[] = [
  { name: 'SQLite', skip: false, database: () => undefined },
  { name: 'PostgreSQL', skip: postgres ? false : POSTGRES_SKIP_MESSAGE, database: () => postgres },
];
const context: AuditContext = { actor: { type: 'cli', id: null, name: 'alert store suite' } };

for (const backend of backends) {
  describe(`the alert store on ${backend.name}`, { skip: backend.skip }, () => {
    let config: Config;
    let services: Services;

    before(async () => {
      const pg = backend.database();
      config = testConfig({
        ...(pg ? { GATEHOUSE_DATABASE_URL: pg.url.reveal() } : {}),
        GATEHOUSE_ALERT_DEDUP_WINDOW: '10m',
      });
      services = await createServices(
        config,
        createLogger({ level: 'debug', destination: logFile(`alert-store-${backend.name}`) }),
      );
    });
    after(async () => {
      await services.close();
      await backend.database()?.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    });

    it('keeps one alert per rule and subject within the window, counting repeats, and a new one after it', async () => {
      const t0 = Date.now();
      const { alerts } = services;
      await Promise.all([
        alerts.raise({ rule: 'auth_failures', subject: 'ip:192.0.2.1', eventIds: ['e1'] }, t0),
        alerts.raise({ rule: 'auth_failures', subject: 'ip:192.0.2.1', eventIds: ['e2'] }, t0 + 1000),
        alerts.raise({ rule: 'auth_failures', subject: 'ip:192.0.2.1', eventIds: ['e2'] }, t0 + 2000),
        alerts.raise({ rule: 'auth_failures', subject: 'ip:192.0.2.2' }, t0),
      ]);
      const page = await alerts.list({ limit: 10, rule: 'auth_failures' });
      const one = page.data.filter((alert) => alert.subject === 'ip:192.0.2.1');
      assert.equal(one.length, 1);
      assert.equal(one[0]?.count, 3);
      assert.deepEqual(one[0]?.event_ids, ['e1', 'e2']);
      assert.equal(one[0]?.last_seen, new Date(t0 + 2000).toISOString());
      await alerts.raise({ rule: 'auth_failures', subject: 'ip:192.0.2.1' }, t0 + 11 * 60_000);
      const later = await alerts.list({ limit: 10, rule: 'auth_failures' });
      assert.equal(later.data.filter((alert) => alert.subject === 'ip:192.0.2.1').length, 2);
    });

    it('pages alerts with a cursor and acknowledges one (audited)', async () => {
      const { alerts } = services;
      const first = await alerts.list({ limit: 1 });
      assert.equal(first.data.length, 1);
      assert.ok(first.next_cursor);
      const second = await alerts.list({ limit: 1, cursor: first.next_cursor ?? undefined });
      assert.notEqual(second.data[0]?.id, first.data[0]?.id);
      const id = first.data[0]?.id as string;
      const acknowledged = await alerts.acknowledge(id, context);
      assert.equal(acknowledged.status, 'acknowledged');
      assert.equal(
        (await alerts.list({ limit: 10, status: 'open' })).data.some((a) => a.id === id),
        false,
      );
      await assert.rejects(
        alerts.get('01900000-0000-7000-8000-000000000000'),
        (e: ApiError) => e.code === 'not_found',
      );
    });

    it('refuses sink URLs that are not https and email sinks without a recipient', async () => {
      const { sinks } = services.alertSinks;
      await assert.rejects(
        sinks.create({ name: 'x', type: 'slack', url: 'http://hooks.example.com/a' }, context),
        (e: ApiError) => e.code === 'url_not_allowed',
      );
      await assert.rejects(
        sinks.create({ name: 'x', type: 'email' }, context),
        (e: ApiError) => e.code === 'validation_failed',
      );
      const log = await sinks.create({ name: 'log', type: 'log' }, context);
      assert.equal((await sinks.get(log.id)).type, 'log');
      await sinks.delete(log.id, context);
      await assert.rejects(sinks.get(log.id), (e: ApiError) => e.code === 'not_found');
    });
  });
}
