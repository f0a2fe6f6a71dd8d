import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createEnvelope, createKeyring } from '../crypto/envelope.ts';
import { attemptRecord } from './attempt-record.ts';
import type { AttemptResult } from './delivery-attempt.ts';
import type { PreparedDelivery } from './delivery-preparer.ts';
import { attemptContext } from './webhook-message.ts';

const envelope = createEnvelope(createKeyring(new Map([[1, randomBytes(32)]])));

const prepared: PreparedDelivery = {
  claimed: {
    id: 'del_1',
    message_id: 'msg_1',
    endpoint_id: 'ep_1',
    integrator_id: 'int_1',
    attempts: 2,
    retry_step: 2,
    lease: 1,
  },
  url: 'https://hooks.example.com/path?token=receiver-secret',
  origin: 'https://hooks.example.com',
  eventType: 'order.created',
  body: Buffer.from('{}'),
  signing: { scheme: 'standard', signatureHeader: null, keys: [] },
  failingSince: null,
};

const attempt: AttemptResult = {
  startedAt: Date.UTC(2026, 0, 1),
  durationMs: 12,
  statusCode: 500,
  error: null,
  responseBody: 'upstream broke',
  retryAfter: undefined,
  aborted: false,
};

describe('attempt record', () => {
  it('numbers the attempt after the earlier ones and seals the kept response to its own row', () => {
    const { result } = attemptRecord(prepared, attempt, { kind: 'retry', at: 5 }, envelope);
    assert.equal(result.attempt.attempt, 3);
    assert.deepEqual(result.outcome, { retryAt: 5 });
    assert.equal(result.attempt.started_at, attempt.startedAt);
    const sealed = result.attempt.response_sealed as string;
    assert.ok(!sealed.includes('upstream broke'));
    assert.equal(envelope.openText(sealed, attemptContext(result.attempt.id)), 'upstream broke');
    assert.throws(() => envelope.openText(sealed, attemptContext('another-attempt')));
  });

  it('logs the receiver’s origin, never its full URL', () => {
    const { logFields } = attemptRecord(
      prepared,
      { ...attempt, responseBody: null },
      { kind: 'succeeded' },
      envelope,
    );
    assert.equal(logFields.origin, 'https://hooks.example.com');
    assert.ok(!JSON.stringify(logFields).includes('receiver-secret'));
    assert.equal(logFields.outcome, 'succeeded');
  });
});
