import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { recordSecret } from '../../test/support/artifacts.ts';
import { createEnvelope, createKeyring } from '../crypto/envelope.ts';
import { generateCredential } from '../crypto/key-format.ts';
import { createLineWriter } from '../log/line-writer.ts';
import { createLogger } from '../log/logger.ts';
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

  /** The line the worker writes for an attempt, and the one pino itself writes for the same fields. */
  const lines = async (result: AttemptResult, eventType = prepared.eventType) => {
    const written: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (chunk: string) => written.push(...chunk.split('\n').filter(Boolean)) },
    });
    const { logLine } = attemptRecord({ ...prepared, eventType }, result, { kind: 'succeeded' }, envelope);
    createLineWriter(logger, { component: 'webhooks' }, 'webhook delivery attempt').write(logLine);
    await new Promise((resolve) => setImmediate(resolve));
    const ours = JSON.parse(written[0] as string) as Record<string, unknown>;
    const {
      level: _level,
      time: _time,
      service: _service,
      component: _component,
      msg: _msg,
      ...fields
    } = ours;
    logger.child({ component: 'webhooks' }).info(fields, 'webhook delivery attempt');
    return { ours, pinos: JSON.parse(written[1] as string) as Record<string, unknown> };
  };

  it('logs the receiver’s origin, never its full URL, in the line pino itself would write', async () => {
    const { ours, pinos } = await lines({ ...attempt, responseBody: null });
    assert.equal(ours.origin, 'https://hooks.example.com');
    assert.ok(!JSON.stringify(ours).includes('receiver-secret'));
    assert.equal(ours.outcome, 'succeeded');
    assert.equal(ours.status_code, 500);
    assert.equal(ours.msg, 'webhook delivery attempt');
    assert.deepEqual({ ...ours, time: null }, { ...pinos, time: null });
  });

  it('writes any error text as valid JSON, with secret-shaped strings redacted (property)', async () => {
    const secret = recordSecret(generateCredential('gate', 'live'));
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (text, eventType) => {
        const { ours } = await lines({ ...attempt, statusCode: null, error: `${text} ${secret}` }, eventType);
        assert.equal(typeof ours.error, 'string');
        assert.ok(!JSON.stringify(ours).includes(secret));
        assert.equal(typeof ours.event_type, 'string');
      }),
      { numRuns: 200 },
    );
  });
});
