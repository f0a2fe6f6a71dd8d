import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../../test/support/artifacts.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../../test/support/postgres.ts';
import type { AuditContext } from '../audit/audit-context.ts';
import type { Environment } from '../environments/environment.ts';
import { ApiError } from '../http/api-error.ts';
import { createLogger } from '../log/logger.ts';
import { loadConfig } from '../server/config.ts';
import { incidentSources } from '../server/incident-sources.ts';
import { createServices, type Services } from '../server/services.ts';
import { UsageCounter } from '../usage/usage-counter.ts';
import { UsageStore } from '../usage/usage-store.ts';
import { BulkActions, type BulkRequest } from './bulk-actions.ts';
import { CREDENTIAL_REVOKED_EVENT, CREDENTIAL_ROTATED_EVENT } from './bulk-events.ts';
import { type CredentialSource, canonicalIp } from './credential-selection.ts';

const admin: AuditContext = { actor: { type: 'admin_token', id: 'token-1', name: 'test admin' } };
const options = { ip: '127.0.0.1' };

const postgres = await createTestPostgres();
const backends = [
  { name: 'SQLite', skip: false as const, url: undefined },
  { name: 'PostgreSQL', skip: postgres ? (false as const) : POSTGRES_SKIP_MESSAGE, url: postgres?.url },
];

for (const backend of backends)
  describe(`bulk rotation and revocation (${backend.name})`, { skip: backend.skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bulk-'));
    const logger = createLogger({ level: 'silent' });
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
      ...(backend.url ? { GATEHOUSE_DATABASE_URL: backend.url.reveal() } : {}),
    });
    let services: Services;
    const notified: { type: string; integratorId: string; data: Record<string, unknown> }[] = [];

    before(async () => {
      services = await createServices(config, logger);
      for (const event of [CREDENTIAL_ROTATED_EVENT, CREDENTIAL_REVOKED_EVENT])
        await services.webhooks.catalog.ensure(event, admin);
    });
    after(async () => {
      await services?.close();
      if (backend.url) await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A bulk runner over the real services whose sources can be wrapped (to fail partway). */
    const runner = (wrap: (source: CredentialSource) => CredentialSource) =>
      new BulkActions({
        db: services.database.db,
        audit: services.audit,
        envelope: services.envelope,
        sources: incidentSources({
          keys: services.keys,
          clients: services.oauth.clients,
          endpoints: services.webhooks.endpoints,
        }).map(wrap),
        usedFrom: async () => new Set(),
        notify: async (event) => {
          notified.push(event);
        },
        incidents: services.incidents,
      });

    /** One integrator with a key in each environment and a client and an endpoint in production. */
    async function tenant(name: string) {
      const integrator = await services.integrators.create({ name } as never, admin);
      const key = async (environment: Environment) =>
        services.keys.create(
          { integrator_id: integrator.id, name: `${name} ${environment}`, environment },
          admin,
        );
      const production = await key('production');
      const sandbox = await key('sandbox');
      const client = await services.oauth.clients.create(
        { integrator_id: integrator.id, name: `${name} job`, environment: 'production' },
        admin,
      );
      const endpoint = await services.webhooks.endpoints.create(
        {
          integrator_id: integrator.id,
          environment: 'production',
          url: 'https://127.0.0.1:9/hooks',
          event_types: [CREDENTIAL_ROTATED_EVENT.name],
        },
        admin,
      );
      for (const secret of [production.secret, sandbox.secret, client.secret, endpoint.secret])
        recordSecret(secret as string);
      return { integrator, production, sandbox, client, endpoint };
    }

    const request = (overrides: Partial<BulkRequest>): BulkRequest => ({
      verb: 'rotate',
      selection: {},
      incidentId: null,
      overlapSeconds: 0,
      reason: null,
      dryRun: false,
      ...overrides,
    });
    const works = async (secret: string) => (await services.credentials.verify(secret, options)).ok;

    it('selects by environment and integrator, and a dry run changes nothing', async () => {
      const a = await tenant('dry-a');
      const b = await tenant('dry-b');
      const preview = await services.bulkActions.run(
        request({ dryRun: true, selection: { environment: 'production', integrator_id: a.integrator.id } }),
        admin,
      );
      assert.equal(preview.dry_run, true);
      assert.equal(preview.id, null);
      assert.deepEqual(
        preview.credentials.map((c) => c.id).sort(),
        [a.production.key.id, a.client.client.id, a.endpoint.endpoint.id].sort(),
      );
      assert.ok(preview.credentials.every((c) => c.outcome === 'would_rotate' && c.secret === null));
      assert.equal(await works(a.production.secret), true);
      assert.equal((await services.keys.get(a.production.key.id)).version, a.production.key.version);
      const onlyKeys = await services.bulkActions.run(
        request({ dryRun: true, selection: { environment: 'sandbox', kinds: ['api_key'] } }),
        admin,
      );
      const ids = onlyKeys.credentials.map((c) => c.id);
      assert.ok(ids.includes(a.sandbox.key.id) && ids.includes(b.sandbox.key.id));
      assert.ok(!ids.includes(a.production.key.id));
    });

    it('refuses a selection that narrows nothing, and bad times and addresses, naming the field', async () => {
      const refusal = async (selection: BulkRequest['selection']) => {
        try {
          await services.bulkActions.run(request({ dryRun: true, selection }), admin);
          assert.fail('accepted');
        } catch (error) {
          assert.ok(error instanceof ApiError);
          assert.equal(error.code, 'validation_failed');
          return error.errors?.map((e) => e.field);
        }
      };
      assert.deepEqual(await refusal({}), ['/environment']);
      assert.deepEqual(await refusal({ kinds: ['api_key'] }), ['/environment']);
      assert.deepEqual(await refusal({ created_after: 'yesterday' }), ['/created_after']);
      assert.deepEqual(await refusal({ used_from_ip: '10.0.0.1' }), ['/used_since']);
      assert.deepEqual(await refusal({ used_from_ip: '10.0.0.300', used_since: '2024-01-01T00:00:00Z' }), [
        '/used_from_ip',
      ]);
    });

    it('selects by creation time', async () => {
      const early = await tenant('time-early');
      const cut = new Date(Date.now() + 5).toISOString();
      await new Promise((resolve) => setTimeout(resolve, 10));
      const late = await tenant('time-late');
      const preview = await services.bulkActions.run(
        request({ dryRun: true, selection: { created_after: cut, kinds: ['api_key'] } }),
        admin,
      );
      const ids = preview.credentials.map((c) => c.id);
      assert.ok(ids.includes(late.production.key.id));
      assert.ok(!ids.includes(early.production.key.id));
    });

    it('selects the credentials used from an address since a time, however the address is spelled', async () => {
      const t = await tenant('by-ip');
      const counter = new UsageCounter(`bulk-test-${backend.name}`);
      const now = Date.now();
      counter.count(t.production.key.id, '203.0.113.7', 200, now);
      counter.count(t.client.client.id, '2001:db8::7', 200, now);
      counter.count(t.sandbox.key.id, '198.51.100.1', 200, now);
      await new UsageStore(services.database.db, services.database.dialect).apply(counter.take(), now);
      const since = new Date(now - 60_000).toISOString();
      const select = async (ip: string, at = since) =>
        (
          await services.bulkActions.run(
            request({ dryRun: true, selection: { used_from_ip: ip, used_since: at } }),
            admin,
          )
        ).credentials.map((c) => c.id);
      assert.deepEqual(await select('203.0.113.7'), [t.production.key.id]);
      assert.deepEqual(await select('::ffff:203.0.113.7'), [t.production.key.id]);
      assert.deepEqual(await select('2001:DB8:0:0:0:0:0:7'), [t.client.client.id]);
      assert.deepEqual(await select('203.0.113.7', new Date(now + 60_000).toISOString()), []);
      assert.equal(canonicalIp('2001:db8::7%eth0'), undefined);
    });

    it('rotating with overlap 0 makes the old secrets fail at once and the new ones work', async () => {
      const t = await tenant('rotate');
      const result = await services.bulkActions.run(
        request({ selection: { environment: 'production', integrator_id: t.integrator.id } }),
        admin,
      );
      assert.equal(result.status, 'done');
      assert.deepEqual(result.counts, { selected: 3, changed: 3, failed: 0, pending: 0 });
      const secretOf = (id: string) =>
        recordSecret(result.credentials.find((c) => c.id === id)?.secret as string);
      const newKey = secretOf(t.production.key.id);
      assert.equal(await works(t.production.secret), false);
      assert.equal(await works(newKey), true);
      assert.equal(await works(t.sandbox.secret), true, 'the other environment is untouched');
      const client = await services.oauth.clients.holderOfSecret(secretOf(t.client.client.id));
      assert.equal(client?.live, true);
      assert.equal((await services.oauth.clients.holderOfSecret(t.client.secret))?.live, false);
      const endpoint = await services.webhooks.endpoints.get(t.endpoint.endpoint.id);
      assert.equal(endpoint.secrets.length, 1);
      assert.notEqual(endpoint.secrets[0]?.hint, t.endpoint.endpoint.secrets[0]?.hint);
      const audit = await services.audit.list(services.database.db, { limit: 50 });
      const actions = audit.map((e) => e.action);
      assert.ok(
        actions.includes('bulk_action.rotate.start') && actions.includes('bulk_action.rotate.finish'),
      );
      assert.ok(actions.includes('key.rotate') && actions.includes('webhook_endpoint.rotate_secret'));
    });

    it('the same Idempotency-Key twice changes once; the repeat has no secrets; another body is 422', async () => {
      const t = await tenant('twice');
      const key = { actorId: 'token-1', key: 'incident-42', requestHash: 'h1' };
      const selection = { integrator_id: t.integrator.id, kinds: ['api_key' as const] };
      const first = await services.bulkActions.run(request({ selection }), admin, key);
      assert.equal(first.counts.changed, 2);
      const version = (await services.keys.get(t.production.key.id)).version;
      const again = await services.bulkActions.run(request({ selection }), admin, key);
      assert.equal(again.id, first.id);
      assert.equal(again.replayed, true);
      assert.equal(again.secrets_included, false);
      assert.ok(again.credentials.every((c) => c.secret === null));
      assert.equal((await services.keys.get(t.production.key.id)).version, version, 'not rotated again');
      await assert.rejects(
        services.bulkActions.run(request({ selection }), admin, { ...key, requestHash: 'h2' }),
        (error: unknown) => error instanceof ApiError && error.code === 'idempotency_key_reused',
      );
    });

    it('a run cut short halfway leaves each credential changed or untouched, and the same key resumes it', async () => {
      const t = await tenant('crash');
      const selection = { environment: 'production' as const, integrator_id: t.integrator.id };
      const key = { actorId: 'token-1', key: 'crash-1', requestHash: 'h' };
      let calls = 0;
      // The second credential's transaction fails after its change was written, before the commit.
      const crashing = runner((source) => ({
        ...source,
        rotate: (id, overlap, context) => {
          calls += 1;
          if (calls !== 2 || !context.idempotency) return source.rotate(id, overlap, context);
          const take = context.idempotency.take;
          return source.rotate(id, overlap, {
            ...context,
            idempotency: {
              take,
              complete: async () => {
                throw new Error('simulated crash');
              },
            },
          });
        },
      }));
      await assert.rejects(crashing.run(request({ selection }), admin, key), /simulated crash/);

      const action = await services.database.db
        .selectFrom('bulk_actions')
        .selectAll()
        .where('idempotency_key', '=', 'crash-1')
        .executeTakeFirstOrThrow();
      assert.equal(action.status, 'running');
      const midway = await services.bulkActions.store.items(action.id);
      assert.deepEqual(
        midway.map((i) => i.state),
        ['done', 'pending', 'pending'],
      );
      assert.ok(midway[0]?.secret_sealed, 'the done one keeps its new secret sealed for the resume');
      const [doneId, rolledBackId] = midway.map((i) => i.credential_id);
      const kinds = new Map(midway.map((i) => [i.credential_id, i.credential_kind]));
      assert.equal(kinds.get(doneId as string), 'api_key');
      assert.equal(await works(t.production.secret), false, 'the key rotated before the crash stays rotated');
      assert.equal(kinds.get(rolledBackId as string), 'oauth_client');
      assert.equal(
        (await services.oauth.clients.holderOfSecret(t.client.secret))?.live,
        true,
        'the client whose transaction failed is untouched',
      );

      const resumed = await services.bulkActions.run(request({ selection }), admin, key);
      assert.equal(resumed.id, action.id);
      assert.deepEqual(resumed.counts, { selected: 3, changed: 3, failed: 0, pending: 0 });
      const secrets = new Map(resumed.credentials.map((c) => [c.id, recordSecret(c.secret as string)]));
      assert.equal(
        await works(secrets.get(t.production.key.id) as string),
        true,
        'the secret made before the crash',
      );
      assert.equal((await services.keys.get(t.production.key.id)).version, t.production.key.version + 1);
      assert.equal((await services.oauth.clients.holderOfSecret(t.client.secret))?.live, false);
      assert.equal(
        (await services.oauth.clients.holderOfSecret(secrets.get(t.client.client.id) as string))?.live,
        true,
      );
      const after = await services.bulkActions.store.items(action.id);
      assert.ok(
        after.every((i) => i.secret_sealed === null),
        'secrets are erased once reported',
      );
    });

    it('revoking makes keys and clients fail at once and replaces endpoint secrets; integrators are told', async () => {
      const t = await tenant('revoke');
      notified.length = 0;
      const result = await runner((s) => s).run(
        request({ verb: 'revoke', reason: 'leak', selection: { integrator_id: t.integrator.id } }),
        admin,
      );
      const outcome = new Map(result.credentials.map((c) => [c.id, c]));
      assert.equal(outcome.get(t.production.key.id)?.outcome, 'revoked');
      assert.equal(outcome.get(t.production.key.id)?.secret, null);
      assert.equal(outcome.get(t.endpoint.endpoint.id)?.outcome, 'secret_replaced');
      recordSecret(outcome.get(t.endpoint.endpoint.id)?.secret as string);
      assert.equal(await works(t.production.secret), false);
      assert.equal(await works(t.sandbox.secret), false);
      assert.equal((await services.keys.get(t.sandbox.key.id)).revoked_reason, 'leak');
      assert.equal((await services.oauth.clients.get(t.client.client.id)).status, 'revoked');
      const events = notified.filter((n) => n.integratorId === t.integrator.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['credential.revoked', 'credential.revoked'],
      );
      const told = events.flatMap((e) => (e.data.credentials as { id: string }[]).map((c) => c.id)).sort();
      assert.deepEqual(told, result.credentials.map((c) => c.id).sort());
      assert.ok(!JSON.stringify(events).includes(outcome.get(t.endpoint.endpoint.id)?.secret as string));
    });

    it('a credential revoked meanwhile is reported failed with its code, and the others still change', async () => {
      const t = await tenant('meanwhile');
      const racing = runner((source) => ({
        ...source,
        rotate: async (id, overlap, context) => {
          if (id === t.production.key.id) await services.keys.revoke(id, 'elsewhere', admin);
          return source.rotate(id, overlap, context);
        },
      }));
      const result = await racing.run(
        request({ selection: { integrator_id: t.integrator.id, kinds: ['api_key'] } }),
        admin,
      );
      const byId = new Map(result.credentials.map((c) => [c.id, c]));
      assert.equal(byId.get(t.production.key.id)?.outcome, 'failed');
      assert.equal(byId.get(t.production.key.id)?.error_code, 'key_not_rotatable');
      assert.equal(byId.get(t.sandbox.key.id)?.outcome, 'rotated');
      recordSecret(byId.get(t.sandbox.key.id)?.secret as string);
      assert.deepEqual(result.counts, { selected: 2, changed: 1, failed: 1, pending: 0 });
    });
  });
