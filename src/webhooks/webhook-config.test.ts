import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EnvReader } from '../config/env-reader.ts';
import { readWebhookConfig } from './webhook-config.ts';

const read = (env: Record<string, string>, production = false) => {
  const reader = new EnvReader(env);
  return { config: readWebhookConfig(reader, production), problems: reader.problems };
};

describe('webhook configuration', () => {
  it('defaults to the Standard Webhooks schedule over about a day, 15 s timeouts and no private addresses', () => {
    const { config, problems } = read({});
    assert.deepEqual(problems, []);
    assert.deepEqual(config.retrySchedule, [0, 5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    const total = config.retrySchedule.reduce((a, b) => a + b, 0);
    assert.ok(total > 20 * 3600e3 && total < 36 * 3600e3);
    assert.equal(config.timeoutMs, 15_000);
    assert.equal(config.allowPrivateAddresses, false);
    assert.equal(config.extraCa, null);
  });

  it('reads a shortened schedule and durations with units', () => {
    const { config, problems } = read({
      GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0, 100ms, 1s,2m',
      GATEHOUSE_WEBHOOK_TIMEOUT: '2s',
      GATEHOUSE_WEBHOOK_DISABLE_AFTER: '1h',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(config.retrySchedule, [0, 100, 1000, 120_000]);
    assert.equal(config.timeoutMs, 2000);
    assert.equal(config.disableAfterMs, 3_600_000);
  });

  it('names the variable when a value is wrong', () => {
    const { problems } = read({
      GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0,5,soon',
      GATEHOUSE_WEBHOOK_TIMEOUT: '1 week',
      GATEHOUSE_WEBHOOK_ENDPOINT_CONCURRENCY: '0',
    });
    assert.equal(problems.length, 3);
    assert.match(problems[0] as string, /GATEHOUSE_WEBHOOK_RETRY_SCHEDULE/);
    assert.match(problems[1] as string, /GATEHOUSE_WEBHOOK_TIMEOUT/);
    assert.match(problems[2] as string, /GATEHOUSE_WEBHOOK_ENDPOINT_CONCURRENCY/);
  });

  it('refuses the private-address flag in production mode and allows it in development', () => {
    assert.equal(read({ GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1' }).config.allowPrivateAddresses, true);
    const { problems } = read({ GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1' }, true);
    assert.equal(problems.length, 1);
    assert.match(problems[0] as string, /GATEHOUSE_WEBHOOK_ALLOW_PRIVATE.*production/);
  });

  it('reads an extra CA bundle, and refuses a file without certificates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-webhook-config-'));
    const good = join(dir, 'ca.pem');
    const bad = join(dir, 'bad.pem');
    writeFileSync(good, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    writeFileSync(bad, 'hello');
    assert.match(read({ GATEHOUSE_WEBHOOK_CA_FILE: good }).config.extraCa as string, /BEGIN CERTIFICATE/);
    assert.match(read({ GATEHOUSE_WEBHOOK_CA_FILE: bad }).problems[0] as string, /GATEHOUSE_WEBHOOK_CA_FILE/);
    assert.match(
      read({ GATEHOUSE_WEBHOOK_CA_FILE: join(dir, 'missing.pem') }).problems[0] as string,
      /cannot be read.*ENOENT/,
    );
  });
});
