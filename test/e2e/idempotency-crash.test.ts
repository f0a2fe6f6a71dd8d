import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { createHttpsClient, type HttpResponse } from '../support/https-client.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { type ServerProcess, spawnServer } from '../support/server-process.ts';
import { testEnvironment } from '../support/test-config.ts';

const REQUESTS = 64;
const KILL_AFTER_ANSWERS = 6;

const postgres = await createTestPostgres();

for (const store of ['postgres', 'sqlite'] as const) {
  const skip = store === 'postgres' && !postgres ? POSTGRES_SKIP_MESSAGE : false;

  describe(`idempotent creates survive kill -9 mid-burst (${store})`, { skip }, () => {
    let dataDir: string;
    let env: Record<string, string>;
    let running: ServerProcess | undefined;
    let database: TestPostgres | undefined;

    before(async () => {
      ({ env, dataDir } = testEnvironment({ GATEHOUSE_LOG_LEVEL: 'info' }));
      if (store === 'postgres') {
        database = await createTestPostgres();
        env.GATEHOUSE_DATABASE_URL = (database as TestPostgres).url.reveal();
      }
    });
    after(async () => {
      if (running && running.child.exitCode === null) {
        running.child.kill('SIGKILL');
        await running.exited;
      }
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(`every retry of ${REQUESTS} creates gets the original response and nothing is created twice`, {
      timeout: 90_000,
    }, async (t) => {
      running = await spawnServer(env, `idempotency-crash-${store}-1`);
      const client = createHttpsClient(readFileSync(join(dataDir, 'tls', 'ca.pem')));
      const admin = (url: string, method: string, path: string, body?: unknown, key?: string) =>
        client.send(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${env.GATEHOUSE_ADMIN_TOKEN}`,
            ...(key === undefined ? {} : { 'idempotency-key': key }),
          },
          ...(body === undefined ? {} : { body }),
        });

      const integrator = await admin(running.adminUrl, 'POST', '/admin/v1/integrators', { name: 'Crashers' });
      assert.equal(integrator.status, 201, integrator.text);
      const bodyOf = (i: number) => ({
        integrator_id: integrator.json.id,
        name: `crash-${i}`,
        environment: 'production',
      });
      const keyOf = (i: number) => `crash-burst-${i}`;

      // One open connection per request first, so the burst reaches the server at once (not one TLS
      // handshake at a time) and the kill, once a few answers are back, finds the rest at every stage.
      await Promise.all(
        Array.from({ length: REQUESTS }, () => admin(running?.adminUrl ?? '', 'GET', '/healthz')),
      );
      const victim = running;
      const originals = new Map<number, HttpResponse>();
      await Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          try {
            const response = await admin(victim.adminUrl, 'POST', '/admin/v1/keys', bodyOf(i), keyOf(i));
            assert.equal(response.status, 201, response.text);
            recordSecret(response.json.key);
            originals.set(i, response);
            if (originals.size === KILL_AFTER_ANSWERS) victim.child.kill('SIGKILL');
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            // The connection died with the server: the client does not know whether this create happened.
          }
        }),
      );
      await victim.exited;
      t.diagnostic(`${store}: killed with ${originals.size} of ${REQUESTS} creates answered`);
      assert.ok(originals.size < REQUESTS, 'the server must die mid-burst for this test to mean anything');

      running = await spawnServer(env, `idempotency-crash-${store}-2`);
      const url = running.adminUrl;
      const retries = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) => admin(url, 'POST', '/admin/v1/keys', bodyOf(i), keyOf(i))),
      );
      for (const [i, retry] of retries.entries()) {
        assert.equal(retry.status, 201, `retry ${i}: ${retry.status} ${retry.text}`);
        recordSecret(retry.json.key);
        const original = originals.get(i);
        if (original) {
          assert.equal(retry.json.id, original.json.id, `retry ${i} answered with another key`);
          assert.equal(retry.json.key, original.json.key, `retry ${i} answered with another secret`);
          assert.equal(retry.headers['idempotent-replayed'], 'true');
        }
      }

      const committedUnanswered = retries.filter(
        (retry, i) => !originals.has(i) && retry.headers['idempotent-replayed'] === 'true',
      ).length;
      t.diagnostic(
        `${store}: ${committedUnanswered} creates had committed without their answer reaching the client`,
      );

      const listed = await admin(url, 'GET', `/admin/v1/keys?integrator_id=${integrator.json.id}&limit=200`);
      assert.equal(listed.status, 200, listed.text);
      const names = listed.json.data.map((key: { name: string }) => key.name);
      assert.equal(names.length, REQUESTS, `${names.length} keys exist for ${REQUESTS} Idempotency-Keys`);
      assert.equal(new Set(names).size, REQUESTS, 'a create happened twice');
      const ids = new Set(listed.json.data.map((key: { id: string }) => key.id));
      for (const retry of retries)
        assert.ok(ids.has(retry.json.id), `retry answered with a key that does not exist`);

      // A second round of retries replays too: the answers are stored, not re-made.
      const again = await admin(url, 'POST', '/admin/v1/keys', bodyOf(0), keyOf(0));
      assert.equal(again.json.id, retries[0]?.json.id);
      assert.equal(again.headers['idempotent-replayed'], 'true');

      await client.close();
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
    });
  });
}
