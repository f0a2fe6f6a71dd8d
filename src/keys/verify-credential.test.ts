import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../test/support/eventually.ts';
import { generateCredential } from '../crypto/key-format.ts';
import { createLogger } from '../log/logger.ts';
import { loadConfig } from '../server/config.ts';
import { createServices, type Services } from '../server/services.ts';

const system = { actor: { type: 'system' as const, id: null, name: 'test' } };
const options = { ip: '127.0.0.1' };

describe('CredentialVerifier with a long-lived cache (real SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-verify-'));
  const logger = createLogger({ level: 'silent' });
  // Two processes' worth of services on one database file, each with its own bus: like a second
  // instance (or the CLI) that no announcement reaches.
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_CREDENTIAL_CACHE_TTL_MS: '600000' });
  let first: Services;
  let second: Services;
  let integratorId: string;

  before(async () => {
    first = await createServices(config, logger);
    second = await createServices(config, logger);
    integratorId = (await first.integrators.create({ name: 'Verify' } as never, system)).id;
  });
  after(async () => {
    await second?.close();
    await first?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const newKey = () =>
    first.keys.create({ integrator_id: integratorId, name: 'k', environment: 'sandbox' }, system);

  it('a revoked key is refused at once on the instance that revoked it', async () => {
    const { key, secret } = await newKey();
    assert.equal((await first.credentials.verify(secret, options)).ok, true);
    assert.equal(first.credentials.verifyCached(secret, options)?.ok, true);
    await first.keys.revoke(key.id, 'test', system);
    assert.deepEqual(first.credentials.verifyCached(secret, options), null);
    const after = await first.credentials.verify(secret, options);
    assert.equal(after.ok === false && after.reason, 'revoked');
  });

  it('a key revoked through another instance sharing the database is refused here within 1 s', async () => {
    const { key, secret } = await newKey();
    assert.equal((await second.credentials.verify(secret, options)).ok, true);
    await first.keys.revoke(key.id, 'test', system);
    const revokedAt = Date.now();
    const refusal = await eventually(
      async () => {
        const answer = await second.credentials.verify(secret, options);
        return !answer.ok && answer;
      },
      { timeoutMs: 1000, intervalMs: 20, what: 'the other instance to refuse the revoked key' },
    );
    assert.equal(refusal.reason, 'revoked', `refused ${Date.now() - revokedAt} ms after`);
  });

  it('records last use in a batch, eventually, without a write per request', async () => {
    const { key, secret } = await newKey();
    for (let i = 0; i < 50; i++) assert.equal((await first.credentials.verify(secret, options)).ok, true);
    await eventually(async () => (await first.keys.get(key.id)).last_used_at !== null, {
      timeoutMs: 5000,
      what: 'the last use to be written',
    });
  });

  it('costs one database lookup per distinct unknown key, however often and concurrently it is sent', async () => {
    const unknown = Array.from({ length: 200 }, () => generateCredential(config.keyPrefix, 'test'));
    const before = first.credentials.lookups;
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(unknown.map((secret) => first.credentials.verify(secret, options)));
      for (const answer of answers) assert.equal(answer.ok === false && answer.reason, 'unknown');
    }
    assert.equal(first.credentials.lookups - before, unknown.length);
  });
});

describe('CredentialVerifier shutdown', () => {
  it('writes the last uses it gathered when it closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-verify-close-'));
    const logger = createLogger({ level: 'silent' });
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dir });
    try {
      const services = await createServices(config, logger);
      const integrator = await services.integrators.create({ name: 'Close' } as never, system);
      const { key, secret } = await services.keys.create(
        { integrator_id: integrator.id, name: 'k', environment: 'sandbox' },
        system,
      );
      assert.equal((await services.credentials.verify(secret, options)).ok, true);
      await services.close();
      const reopened = await createServices(config, logger);
      try {
        assert.notEqual((await reopened.keys.get(key.id)).last_used_at, null);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
