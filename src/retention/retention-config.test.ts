import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EnvReader } from '../config/env-reader.ts';
import { loadConfig } from '../server/config.ts';
import { readRetentionConfig } from './retention-config.ts';

const DAY = 86_400_000;

it('keeps usage 90 days, webhook payloads 30, security events and alerts 365, idempotency records 1, and audit forever by default', () => {
  const config = readRetentionConfig(new EnvReader({}));
  assert.deepEqual(config.periods, {
    USAGE: 90 * DAY,
    WEBHOOK_PAYLOADS: 30 * DAY,
    SECURITY_EVENTS: 365 * DAY,
    ALERTS: 365 * DAY,
    IDEMPOTENCY: DAY,
    AUDIT: null,
  });
  assert.equal(config.purgeIntervalMs, 3_600_000);
});

it('reads GATEHOUSE_RETENTION_<CLASS> as a duration, or 0 and "forever" to keep a class forever', () => {
  const config = readRetentionConfig(
    new EnvReader({
      GATEHOUSE_RETENTION_USAGE: '7d',
      GATEHOUSE_RETENTION_ALERTS: 'forever',
      GATEHOUSE_RETENTION_SECURITY_EVENTS: '0',
      GATEHOUSE_RETENTION_AUDIT: '730d',
      GATEHOUSE_PURGE_INTERVAL: '15m',
    }),
  );
  assert.equal(config.periods.USAGE, 7 * DAY);
  assert.equal(config.periods.ALERTS, null);
  assert.equal(config.periods.SECURITY_EVENTS, null);
  assert.equal(config.periods.AUDIT, 730 * DAY);
  assert.equal(config.purgeIntervalMs, 900_000);
});

it('a wrong retention value stops start with a message naming the variable', () => {
  assert.throws(
    () =>
      loadConfig({
        GATEHOUSE_RETENTION_WEBHOOK_PAYLOADS: '30',
        GATEHOUSE_RETENTION_IDEMPOTENCY: '5m',
        GATEHOUSE_PURGE_INTERVAL: 'hourly',
      }),
    (error: Error) =>
      /GATEHOUSE_RETENTION_WEBHOOK_PAYLOADS must be a duration of at least 1h/.test(error.message) &&
      /GATEHOUSE_RETENTION_IDEMPOTENCY must be a duration/.test(error.message) &&
      /GATEHOUSE_PURGE_INTERVAL must be a duration/.test(error.message),
  );
});
