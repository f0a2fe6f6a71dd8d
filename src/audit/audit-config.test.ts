import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EnvReader } from '../config/env-reader.ts';
import { readAuditConfig } from './audit-config.ts';

it('signs checkpoints every 5 minutes by default and reads GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL as a duration', () => {
  assert.equal(readAuditConfig(new EnvReader({})).checkpointIntervalMs, 300_000);
  assert.equal(
    readAuditConfig(new EnvReader({ GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL: '30s' })).checkpointIntervalMs,
    30_000,
  );
  const read = new EnvReader({ GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL: '300' });
  readAuditConfig(read);
  assert.match(read.problems.join(), /GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL must be a duration like 30s/);
});
