import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AuditContext } from '../../src/audit/audit-log.ts';
import { uuid7 } from '../../src/db/uuid7.ts';
import type { ApiError } from '../../src/http/api-error.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Config } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { logFile, recordSecret } from '../support/artifacts.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { testConfig } from '../support/test-config.ts';

/**
 * One suite, run against every supported database: the services and their stores behave the same
 * on the embedded SQLite file and on PostgreSQL.
 */
const postgres = await createTestPostgres();
const backends: { name: string; skip: string | false; database: () => TestPostgres | undefined }[] = [
  { name: 'SQLite', skip: false, database: () => undefined },
  { name: 'PostgreSQL', skip: postgres ? false : POSTGRES_SKIP_MESSAGE, database: () => postgres },
];
const context: AuditContext = {
  actor: { type: 'admin_token', id: 'test-token', name: 'store suite' },
  ip: '127.0.0.1',
  requestId: 'r1',
};

for (const backend of backends) {
  describe(`stores on ${backend.name}`, { skip: backend.skip }, () => {
    let config: Config;
    let services: Services;
    let integratorId: string;
    const ip = '127.0.0.1';

    before(async () => {
      const pg = backend.database();
      config = testConfig(pg ? { GATEHOUSE_DATABASE_URL: pg.url.reveal() } : {});
      services = await createServices(
        config,
        createLogger({ level: 'debug', destination: logFile(`store-${backend.name}`) }),
      );
      integratorId = (await services.integrators.create({ name: 'Initech' }, context)).id;
    });
    after(async () => {
      await services.close();
      await backend.database()?.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    });

    const createKey = async (extra: Record<string, unknown> = {}) => {
      const issued = await services.keys.create(
        { integrator_id: integratorId, name: 'k', environment: 'production', ...extra },
        context,
      );
      recordSecret(issued.secret);
      return issued;
    };

    it('migrations are idempotent: opening the database again changes nothing', async () => {
      const again = await createServices(config, createLogger({ level: 'silent' }));
      assert.equal((await again.integrators.get(integratorId)).name, 'Initech');
      await again.close();
    });

    it('stores only a keyed hash of a key secret, never the secret itself', async () => {
      const { key, secret } = await createKey();
      const keyRows = await services.database.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', key.id)
        .execute();
      const secretRows = await services.database.db
        .selectFrom('api_key_secrets')
        .selectAll()
        .where('key_id', '=', key.id)
        .execute();
      const stored = JSON.stringify([keyRows, secretRows]);
      assert.ok(!stored.includes(secret));
      assert.ok(!stored.includes(secret.slice(10, 40)));
      assert.equal(secretRows.length, 1);
      assert.equal((await services.credentials.verify(secret, { ip })).ok, true);
    });

    it('pages through integrators newest first without repeats or gaps', async () => {
      for (let i = 0; i < 5; i++) await services.integrators.create({ name: `page ${i}` }, context);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await services.integrators.list(2, cursor);
        seen.push(...page.data.map((i) => i.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen, [...seen].sort().reverse());
      assert.ok(seen.length >= 6);
    });

    it('a replace with a stale version fails and leaves neither a change nor an audit entry', async () => {
      const integrator = await services.integrators.create({ name: 'Versioned' }, context);
      const entriesBefore = await services.audit.list(services.database.db, {
        limit: 1000,
        targetId: integrator.id,
      });
      await assert.rejects(
        services.integrators.replace(
          integrator.id,
          { name: 'x', email: null, status: 'active', metadata: {} },
          7,
          context,
        ),
        (error: ApiError) => error.status === 412,
      );
      assert.equal((await services.integrators.get(integrator.id)).name, 'Versioned');
      const entriesAfter = await services.audit.list(services.database.db, {
        limit: 1000,
        targetId: integrator.id,
      });
      assert.equal(entriesAfter.length, entriesBefore.length);
    });

    it('rotation keeps both secrets until the overlap ends; revocation stops both at once', async () => {
      const { key, secret: first } = await createKey();
      const { secret: second } = await services.keys.rotate(key.id, 3600, context);
      recordSecret(second);
      assert.equal((await services.credentials.verify(first, { ip })).ok, true);
      assert.equal((await services.credentials.verify(second, { ip })).ok, true);
      const later = Date.now() + 3601_000;
      assert.equal((await services.credentials.verify(first, { ip }, later)).ok, false);
      assert.equal((await services.credentials.verify(second, { ip }, later)).ok, true);
      await services.keys.revoke(key.id, 'test', context);
      for (const secret of [first, second]) {
        const result = await services.credentials.verify(secret, { ip });
        assert.equal(result.ok === false && result.reason, 'revoked');
      }
    });

    it('checks expiry, environment and the IP allowlist (IPv4 and IPv6)', async () => {
      const { secret } = await createKey({
        allowed_ips: ['10.1.0.0/16', '2001:db8::/48'],
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      });
      assert.equal((await services.credentials.verify(secret, { ip: '10.1.2.3' })).ok, true);
      assert.equal((await services.credentials.verify(secret, { ip: '2001:db8:0:1::9' })).ok, true);
      const reason = async (...args: Parameters<Services['credentials']['verify']>) => {
        const result = await services.credentials.verify(...args);
        return result.ok ? 'ok' : result.reason;
      };
      assert.equal(await reason(secret, { ip: '10.2.0.1' }), 'ip_not_allowed');
      assert.equal(await reason(secret, { ip: '2001:db9::1' }), 'ip_not_allowed');
      assert.equal(await reason(secret, { ip: '10.1.2.3', environment: 'sandbox' }), 'wrong_environment');
      assert.equal(await reason(secret, { ip: '10.1.2.3' }, Date.now() + 61_000), 'expired');
      assert.equal(
        await reason(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, { ip }),
        'malformed',
      );
    });

    it('answers a known key from memory with the same result verify gives, never a capped one', async () => {
      const { key, secret } = await createKey({ allowed_ips: ['10.1.0.0/16'] });
      assert.equal(services.credentials.verifyCached(secret, { ip: '10.1.2.3' }), null, 'not yet loaded');
      const verified = await services.credentials.verify(secret, { ip: '10.1.2.3' });
      assert.deepEqual(services.credentials.verifyCached(secret, { ip: '10.1.2.3' }), verified);
      const refused = services.credentials.verifyCached(secret, { ip: '10.2.0.1' });
      assert.equal(refused?.ok === false && refused.reason, 'ip_not_allowed');
      await services.keys.revoke(key.id, 'test', context);
      assert.equal(services.credentials.verifyCached(secret, { ip: '10.1.2.3' }), null, 'dropped on change');
      await services.credentials.verify(secret, { ip: '10.1.2.3' });
      const revoked = services.credentials.verifyCached(secret, { ip: '10.1.2.3' });
      assert.equal(revoked?.ok === false && revoked.reason, 'revoked');

      const capped = await createKey({ usage_limit: { remaining: 1 } });
      await services.credentials.verify(capped.secret, { ip });
      assert.equal(
        services.credentials.verifyCached(capped.secret, { ip }),
        null,
        'a cap needs the database',
      );
    });

    it('a usage cap admits exactly that many uses, even under concurrency, and refills per period', async () => {
      const { key, secret } = await createKey({
        usage_limit: { remaining: 5, refill: { amount: 3, interval: 'hour' } },
      });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => services.credentials.verify(secret, { ip })),
      );
      assert.equal(results.filter((r) => r.ok).length, 5);
      assert.equal((await services.keys.get(key.id)).usage_limit?.remaining, 0);
      const nextHour = Date.now() + 3600_000 + 1000;
      services.changes.publish('credentials');
      const refilled = await Promise.all(
        Array.from({ length: 6 }, () => services.credentials.verify(secret, { ip }, nextHour)),
      );
      assert.equal(refilled.filter((r) => r.ok).length, 3);
    });

    it('concurrent changes keep one unbroken audit chain', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          services.integrators.create({ name: `concurrent ${i}` }, context),
        ),
      );
      const result = await services.audit.verify(services.database.db);
      assert.deepEqual(result.first_broken, null);
      assert.ok(result.entries_checked >= 20);
    });

    it('records and lists security events, newest first, with credential-shaped strings redacted', async () => {
      const { key, secret } = await createKey();
      await services.securityEvents.record({
        event: 'authentication_failed',
        source: 'test',
        credentialId: key.id,
        details: { presented: secret },
      });
      await services.securityEvents.record({
        event: 'credential_over_plain_http',
        source: 'test',
        credentialId: key.id,
      });
      const page = await services.securityEvents.list({ limit: 10, credentialId: key.id });
      assert.deepEqual(
        page.data.map((e) => e.event),
        ['credential_over_plain_http', 'authentication_failed'],
      );
      assert.ok(!JSON.stringify(page).includes(secret));
    });

    describe('the audit chain reports tampering', () => {
      const tamper = async (change: () => Promise<unknown>) => {
        await change();
        return services.audit.verify(services.database.db);
      };
      const entries = () => services.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();

      it('an edited entry', async () => {
        const rows = await entries();
        const target = rows[2];
        assert.ok(target);
        const result = await tamper(() =>
          services.database.db
            .updateTable('audit_log')
            .set({ actor_name: 'someone else' })
            .where('seq', '=', target.seq)
            .execute(),
        );
        assert.deepEqual(result.first_broken, { seq: target.seq, id: target.id, reason: 'entry_modified' });
        await services.database.db
          .updateTable('audit_log')
          .set({ actor_name: target.actor_name })
          .where('seq', '=', target.seq)
          .execute();
        assert.equal((await services.audit.verify(services.database.db)).ok, true);
      });

      it('an edited entry whose hash was recomputed without the server key', async () => {
        const rows = await entries();
        const target = rows[3];
        assert.ok(target);
        const { createHash } = await import('node:crypto');
        const forged = createHash('sha256').update('forged').digest('base64url');
        const result = await tamper(() =>
          services.database.db
            .updateTable('audit_log')
            .set({ action: 'key.read', hash: forged })
            .where('seq', '=', target.seq)
            .execute(),
        );
        assert.equal(result.ok, false);
        assert.equal(result.first_broken?.seq, target.seq);
        await services.database.db
          .updateTable('audit_log')
          .set({ action: target.action, hash: target.hash })
          .where('seq', '=', target.seq)
          .execute();
      });

      it('a deleted entry in the middle, and one at the end', async () => {
        const rows = await entries();
        const middle = rows[4];
        const last = rows.at(-1);
        assert.ok(middle && last);
        const result = await tamper(() =>
          services.database.db.deleteFrom('audit_log').where('seq', '=', middle.seq).execute(),
        );
        assert.deepEqual(result.first_broken, {
          seq: middle.seq + 1,
          id: rows[5]?.id,
          reason: 'entries_missing',
        });
        await services.database.db.insertInto('audit_log').values(middle).execute();

        const tail = await tamper(() =>
          services.database.db.deleteFrom('audit_log').where('seq', '=', last.seq).execute(),
        );
        assert.equal(tail.ok, false);
        assert.equal(tail.first_broken?.reason, 'head_mismatch');
        await services.database.db.insertInto('audit_log').values(last).execute();
        assert.equal((await services.audit.verify(services.database.db)).ok, true);
      });

      it('an inserted entry', async () => {
        const rows = await entries();
        const last = rows.at(-1);
        assert.ok(last);
        const inserted = {
          ...last,
          seq: last.seq + 1,
          id: `${last.id.slice(0, -4)}beef`,
          prev_hash: last.hash,
          action: 'key.create',
        };
        const result = await tamper(() =>
          services.database.db.insertInto('audit_log').values(inserted).execute(),
        );
        assert.equal(result.ok, false);
        assert.equal(result.first_broken?.seq, last.seq + 1);
        await services.database.db.deleteFrom('audit_log').where('seq', '=', inserted.seq).execute();

        const shifted = await tamper(async () => {
          await services.database.db
            .updateTable('audit_log')
            .set({ seq: 1_000_000 })
            .where('seq', '=', 2)
            .execute();
          await services.database.db
            .insertInto('audit_log')
            .values({ ...(rows[1] as typeof last), seq: 2, id: uuid7(), actor_name: 'impostor' })
            .execute();
        });
        assert.equal(shifted.first_broken?.seq, 2);
        assert.equal(shifted.first_broken?.reason, 'entry_modified');
      });
    });
  });
}
