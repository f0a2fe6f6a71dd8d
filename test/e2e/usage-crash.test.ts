import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { type ServerProcess, spawnServer } from '../support/server-process.ts';
import { testEnvironment } from '../support/test-config.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const FIRST = 9;
const SECOND = 5;

/**
 * Usage records are written in batches every 5 s (`usage-flusher.ts`): after a kill -9 the
 * committed batches are all there, and a restart adds only what it served itself.
 */
describe('usage records survive kill -9 and a restart never double-counts (SQLite)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let running: ServerProcess | undefined;
  let upstream: RecordingUpstream;

  before(async () => {
    upstream = await startRecordingUpstream('production');
    ({ env, dataDir } = testEnvironment({
      GATEHOUSE_LOG_LEVEL: 'info',
      GATEHOUSE_PORT: '0',
      GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url,
    }));
  });
  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const counted = (credentialId: string): { requests: number; ipRequests: number } => {
    const db = new DatabaseSync(join(dataDir, 'gatehouse.sqlite'), { readOnly: true });
    try {
      const minutes = db
        .prepare(
          'select coalesce(sum(status_2xx + status_3xx + status_4xx + status_5xx), 0) as n from usage_minutes where credential_id = ?',
        )
        .get(credentialId) as { n: number };
      const ips = db
        .prepare('select coalesce(sum(request_count), 0) as n from usage_ips where credential_id = ?')
        .get(credentialId) as { n: number };
      return { requests: Number(minutes.n), ipRequests: Number(ips.n) };
    } catch {
      return { requests: -1, ipRequests: -1 };
    } finally {
      db.close();
    }
  };

  it(`${FIRST} requests, kill -9 after their flush, ${SECOND} more after a restart: ${FIRST + SECOND} counted`, {
    timeout: 90_000,
  }, async () => {
    running = await spawnServer(env, 'usage-crash-1');
    const client = createHttpsClient(readFileSync(join(dataDir, 'tls', 'ca.pem')));
    const admin = (url: string, path: string, body: unknown) =>
      client.send(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.GATEHOUSE_ADMIN_TOKEN}` },
        body,
      });
    const integrator = await admin(running.adminUrl, '/admin/v1/integrators', { name: 'Usage Crash' });
    assert.equal(integrator.status, 201, integrator.text);
    const key = await admin(running.adminUrl, '/admin/v1/keys', {
      integrator_id: integrator.json.id,
      name: 'usage',
      environment: 'production',
    });
    assert.equal(key.status, 201, key.text);
    recordSecret(key.json.key);
    const credentialId: string = key.json.id;
    const { dataUrl } = running;
    for (let i = 0; i < FIRST; i++) {
      // No route is declared: each request is a 404 route_not_found, counted as 4xx for the key.
      const response = await client.send(`${dataUrl}/v1/anything`, {
        headers: { 'x-api-key': key.json.key },
      });
      assert.equal(response.status, 404, response.text);
    }
    await eventually(() => counted(credentialId).requests === FIRST, {
      timeoutMs: 20_000,
      what: 'the first batch committed',
    });
    running.child.kill('SIGKILL');
    await running.exited;
    assert.deepEqual(counted(credentialId), { requests: FIRST, ipRequests: FIRST });

    running = await spawnServer(env, 'usage-crash-2');
    const secondUrl = running.dataUrl;
    for (let i = 0; i < SECOND; i++) {
      const response = await client.send(`${secondUrl}/v1/anything`, {
        headers: { 'x-api-key': key.json.key },
      });
      assert.equal(response.status, 404, response.text);
    }
    await eventually(() => counted(credentialId).requests >= FIRST + SECOND, {
      timeoutMs: 20_000,
      what: 'the second run’s batch committed',
    });
    running.child.kill('SIGTERM');
    await running.exited;
    assert.deepEqual(counted(credentialId), { requests: FIRST + SECOND, ipRequests: FIRST + SECOND });
    await client.close();
  });
});
