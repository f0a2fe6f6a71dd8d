import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditContext } from '../../src/audit/audit-log.ts';
import { createLogger } from '../../src/log/logger.ts';
import { type Config, loadConfig } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { DeliveryQueue } from '../../src/webhooks/delivery-queue.ts';
import { logFile, recordSecret } from '../support/artifacts.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';

/**
 * The webhook stores and the durable queue, run against every supported database: the same
 * guarantees on the embedded SQLite file and on PostgreSQL.
 */
const postgres = await createTestPostgres();
const backends: { name: string; skip: string | false; database: () => TestPostgres | undefined }[] = [
  { name: 'SQLite', skip: false, database: () => undefined },
  { name: 'PostgreSQL', skip: postgres ? false : POSTGRES_SKIP_MESSAGE, database: () => postgres },
];
const context: AuditContext = {
  actor: { type: 'admin_token', id: 'test-token', name: 'webhook store suite' },
};
const LEASE = 60_000;

function webhookConfig(databaseUrl: string | undefined): Config {
  const env: Record<string, string> = {
    GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-webhook-store-')),
    GATEHOUSE_PEPPER: recordSecret(randomBytes(32).toString('base64url')),
    GATEHOUSE_ENCRYPTION_KEYS: `1:${recordSecret(randomBytes(32).toString('base64'))}`,
    GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
  };
  if (databaseUrl) env.GATEHOUSE_DATABASE_URL = databaseUrl;
  return loadConfig(env);
}

for (const backend of backends) {
  describe(`webhook stores on ${backend.name}`, { skip: backend.skip }, () => {
    let config: Config;
    let services: Services;
    let queue: DeliveryQueue;
    let acme: string;
    let globex: string;

    before(async () => {
      config = webhookConfig(backend.database()?.url.reveal());
      services = await createServices(
        config,
        createLogger({ level: 'debug', destination: logFile(`webhook-store-${backend.name}`) }),
      );
      queue = new DeliveryQueue(services.database.db, services.database.dialect);
      acme = (await services.integrators.create({ name: 'Acme' }, context)).id;
      globex = (await services.integrators.create({ name: 'Globex' }, context)).id;
      for (const name of ['order.created', 'order.paid']) {
        await services.webhooks.catalog.create(
          { name, schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
          context,
        );
      }
    });
    after(async () => {
      await services.close();
      await backend.database()?.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    });

    const endpoint = async (integrator: string, extra: Record<string, unknown> = {}) => {
      const issued = await services.webhooks.endpoints.create(
        {
          integrator_id: integrator,
          environment: 'production',
          url: 'https://127.0.0.1:9/hook',
          event_types: ['order.created'],
          ...extra,
        },
        context,
      );
      if (issued.secret) recordSecret(issued.secret);
      return issued.endpoint.id;
    };
    const publish = (
      integrator: string,
      data: Record<string, unknown> = { id: 'o1' },
      type = 'order.created',
    ) =>
      services.webhooks.publisher.publish({
        type,
        integrator_id: integrator,
        environment: 'production',
        data,
      });
    const deliveriesOf = (messageId: string) =>
      services.database.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('message_id', '=', messageId)
        .execute();
    const claimAll = (now = Date.now(), capacity = 1000) =>
      queue.claim({ now, limit: 1000, leaseMs: LEASE, exclude: new Set(), capacityOf: () => capacity });
    /** Marks every pending delivery done, so each test starts with an empty queue. */
    const drain = async () => {
      await services.database.db
        .updateTable('webhook_deliveries')
        .set({ status: 'succeeded', locked_until: null })
        .where('status', '=', 'pending')
        .execute();
    };

    it('queues an event for the subscribed, enabled endpoints of its integrator and environment, and nobody else', async () => {
      await drain();
      const subscribed = await endpoint(acme);
      const both = await endpoint(acme, { event_types: ['order.created', 'order.paid'] });
      await endpoint(acme, { event_types: ['order.paid'] });
      await endpoint(acme, { environment: 'sandbox' });
      await endpoint(acme, { enabled: false });
      await endpoint(globex);

      const published = await publish(acme);
      assert.equal(published.deliveries, 2);
      const rows = await deliveriesOf(published.id);
      assert.deepEqual(rows.map((row) => row.endpoint_id).sort(), [subscribed, both].sort());
      assert.ok(
        rows.every((row) => row.integrator_id === acme && row.status === 'pending' && row.attempts === 0),
      );
    });

    it('stores event bodies and signing secrets sealed, never in the clear', async () => {
      await drain();
      const marker = `customer-${randomBytes(8).toString('hex')}`;
      const issued = await services.webhooks.endpoints.create(
        {
          integrator_id: acme,
          environment: 'production',
          url: 'https://127.0.0.1:9/x',
          event_types: ['order.created'],
        },
        context,
      );
      const secret = recordSecret(issued.secret as string);
      const published = await publish(acme, { id: marker });
      const db = services.database.db;
      const stored = JSON.stringify([
        await db.selectFrom('webhook_messages').selectAll().where('id', '=', published.id).execute(),
        await db
          .selectFrom('webhook_endpoint_secrets')
          .selectAll()
          .where('endpoint_id', '=', issued.endpoint.id)
          .execute(),
        await db.selectFrom('audit_log').selectAll().execute(),
      ]);
      assert.ok(!stored.includes(marker));
      assert.ok(!stored.includes(secret.slice(6)));
      const message = await services.webhooks.operations.getMessage(published.id);
      assert.deepEqual((message.payload as { data: unknown }).data, { id: marker });
    });

    it('a claim leases its deliveries: nobody claims them again until the lease ends', async () => {
      await drain();
      await endpoint(acme);
      const published = await publish(acme);
      const now = Date.now();
      const first = await claimAll(now);
      const mine = first.filter((d) => d.message_id === published.id);
      assert.ok(mine.length >= 1);
      assert.equal((await claimAll(now + 1000)).filter((d) => d.message_id === published.id).length, 0);
      const again = await claimAll(now + LEASE + 1);
      assert.deepEqual(
        again
          .filter((d) => d.message_id === published.id)
          .map((d) => d.id)
          .sort(),
        mine.map((d) => d.id).sort(),
      );
    });

    it('workers claiming at the same time never get the same delivery', async () => {
      await drain();
      const target = await endpoint(acme);
      for (let i = 0; i < 60; i++) await publish(acme, { id: `o${i}` });
      const now = Date.now();
      const claims = await Promise.all(
        Array.from({ length: 6 }, () =>
          queue.claim({ now, limit: 15, leaseMs: LEASE, exclude: new Set(), capacityOf: () => 1000 }),
        ),
      );
      const ids = claims.flat().map((d) => d.id);
      assert.equal(new Set(ids).size, ids.length, 'a delivery was claimed twice');
      const pendingForTarget = await services.database.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('endpoint_id', '=', target)
        .execute();
      const claimedForTarget = claims.flat().filter((d) => d.endpoint_id === target).length;
      const rest = (await claimAll(now)).filter((d) => d.endpoint_id === target).length;
      assert.equal(claimedForTarget + rest, pendingForTarget.length);
    });

    it('takes no more for an endpoint than its capacity, and skips excluded endpoints', async () => {
      await drain();
      const busy = await endpoint(acme);
      for (let i = 0; i < 5; i++) await publish(acme, { id: `c${i}` });
      const now = Date.now();
      const limited = await queue.claim({
        now,
        limit: 100,
        leaseMs: LEASE,
        exclude: new Set(),
        capacityOf: (id) => (id === busy ? 2 : 1000),
      });
      assert.equal(limited.filter((d) => d.endpoint_id === busy).length, 2);
      const excluded = await queue.claim({
        now,
        limit: 100,
        leaseMs: LEASE,
        exclude: new Set([busy]),
        capacityOf: () => 1000,
      });
      assert.equal(excluded.filter((d) => d.endpoint_id === busy).length, 0);
    });

    it('records attempts and moves deliveries on; a result under an expired, re-claimed lease changes nothing', async () => {
      await drain();
      const target = await endpoint(acme);
      const messages = [
        await publish(acme, { id: 'a' }),
        await publish(acme, { id: 'b' }),
        await publish(acme, { id: 'c' }),
      ];
      const now = Date.now();
      const claimed = (await claimAll(now)).filter((d) => d.endpoint_id === target);
      assert.equal(claimed.length, 3);
      const [ok, retry, stale] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];
      const attempt = (delivery: typeof ok, status: number) => ({
        id: `${delivery.id.slice(0, 30)}000000`,
        delivery_id: delivery.id,
        message_id: delivery.message_id,
        endpoint_id: delivery.endpoint_id,
        attempt: 1,
        started_at: now,
        duration_ms: 3,
        status_code: status,
        error: null,
        response_sealed: null,
      });
      // `stale`'s lease ran out (its worker stalled) and another worker claimed it.
      await services.database.db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now })
        .where('id', '=', stale.id)
        .execute();
      const reclaimed = (await claimAll(now + 1)).find((d) => d.id === stale.id);
      assert.ok(reclaimed);
      await queue.complete([
        { kind: 'attempted', delivery: ok, attempt: attempt(ok, 200), outcome: 'succeeded' },
        {
          kind: 'attempted',
          delivery: retry,
          attempt: attempt(retry, 500),
          outcome: { retryAt: now + 5000 },
        },
        { kind: 'attempted', delivery: stale, attempt: attempt(stale, 200), outcome: 'succeeded' },
      ]);
      const rows = new Map(
        (
          await services.database.db
            .selectFrom('webhook_deliveries')
            .selectAll()
            .where('endpoint_id', '=', target)
            .execute()
        ).map((row) => [row.id, row]),
      );
      assert.equal(rows.get(ok.id)?.status, 'succeeded');
      assert.equal(rows.get(ok.id)?.attempts, 1);
      assert.equal(rows.get(retry.id)?.status, 'pending');
      assert.equal(rows.get(retry.id)?.next_attempt_at, now + 5000);
      assert.equal(rows.get(retry.id)?.retry_step, 1);
      assert.equal(rows.get(retry.id)?.last_status_code, 500);
      assert.equal(rows.get(stale.id)?.status, 'pending', 'the newer claim still owns it');
      assert.equal(rows.get(stale.id)?.locked_until, reclaimed.lease);
      const attempts = await services.database.db
        .selectFrom('webhook_attempts')
        .select('delivery_id')
        .where('endpoint_id', '=', target)
        .execute();
      assert.equal(attempts.length, 3, 'every attempt is recorded, even a late one');
      assert.equal(messages.length, 3);
      const failing = await services.webhooks.endpoints.get(target);
      assert.equal(failing.failing_since, null, 'a success in the same batch clears the failing mark');
    });

    it('a released delivery is due again at once; a skipped one fails with its reason', async () => {
      await drain();
      const target = await endpoint(acme);
      await publish(acme, { id: 'r1' });
      await publish(acme, { id: 'r2' });
      const now = Date.now();
      const [released, skipped] = (await claimAll(now)).filter((d) => d.endpoint_id === target) as [
        Parameters<DeliveryQueue['complete']>[0][number]['delivery'],
        Parameters<DeliveryQueue['complete']>[0][number]['delivery'],
      ];
      await queue.complete(
        [
          { kind: 'released', delivery: released },
          { kind: 'skipped', delivery: skipped, reason: 'endpoint_disabled' },
        ],
        now + 10,
      );
      const again = (await claimAll(now + 10)).map((d) => d.id);
      assert.ok(again.includes(released.id));
      const row = await services.webhooks.operations.getDelivery(skipped.id);
      assert.equal(row.status, 'failed');
      assert.equal(row.last_error, 'endpoint_disabled');
    });

    it('replays every failed delivery of an endpoint since a time, and one message to all its endpoints', async () => {
      await drain();
      const target = await endpoint(acme);
      const old = await publish(acme, { id: 'old' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const since = Date.now();
      const recent = await publish(acme, { id: 'recent' });
      await services.database.db
        .updateTable('webhook_deliveries')
        .set({ status: 'failed' })
        .where('endpoint_id', '=', target)
        .execute();
      const replayed = await services.webhooks.operations.replayFailed(target, since, context);
      assert.equal(replayed.replayed, 1);
      assert.equal((await deliveriesOf(recent.id)).find((d) => d.endpoint_id === target)?.status, 'pending');
      assert.equal((await deliveriesOf(old.id)).find((d) => d.endpoint_id === target)?.status, 'failed');

      const message = await services.webhooks.operations.replayMessage(old.id, undefined, context);
      assert.ok(message.replayed >= 1);
      assert.ok((await deliveriesOf(old.id)).every((d) => d.status === 'pending'));
      const audit = await services.audit.list(services.database.db, { limit: 5 });
      assert.deepEqual(
        audit.slice(0, 2).map((entry) => entry.action),
        ['webhook_message.replay', 'webhook_endpoint.replay'],
      );
    });

    it('after a crash on SQLite every lease is given back at start; on PostgreSQL leases expire by themselves', async () => {
      await drain();
      const target = await endpoint(acme);
      await publish(acme, { id: 'crash' });
      const now = Date.now();
      const claimed = (await claimAll(now)).filter((d) => d.endpoint_id === target);
      assert.equal(claimed.length, 1);
      if (services.database.dialect === 'sqlite') {
        assert.ok((await queue.releaseAbandonedLeases(now + 1)) >= 1);
        assert.ok((await claimAll(now + 1)).some((d) => d.id === claimed[0]?.id));
      } else {
        assert.ok((await claimAll(now + LEASE + 1)).some((d) => d.id === claimed[0]?.id));
      }
    });
  });
}
