import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decideOutcome, type OutcomeInput } from './delivery-outcome.ts';
import { delayBeforeAttempt, retryAfterMs } from './retry-schedule.ts';

const now = 1_700_000_000_000;
const schedule = [0, 5000, 300_000, 1_800_000];
const base: OutcomeInput = {
  statusCode: 500,
  retryAfter: undefined,
  retryStep: 0,
  failingSince: null,
  now,
  schedule,
  disableAfterMs: 5 * 86_400_000,
  random: () => 0.5,
};

describe('delivery outcomes', () => {
  it('any 2xx succeeds', () => {
    for (const statusCode of [200, 201, 202, 204, 299]) {
      assert.deepEqual(decideOutcome({ ...base, statusCode }), { kind: 'succeeded' });
    }
  });

  it('410 Gone fails the delivery and disables the endpoint', () => {
    assert.deepEqual(decideOutcome({ ...base, statusCode: 410 }), { kind: 'failed', disable: 'gone' });
  });

  it('other statuses, redirects and network errors are retried on the schedule until it runs out', () => {
    for (const statusCode of [301, 400, 404, 500, 503, null]) {
      assert.deepEqual(decideOutcome({ ...base, statusCode }), { kind: 'retry', at: now + 5000 });
    }
    assert.deepEqual(decideOutcome({ ...base, retryStep: 2 }), { kind: 'retry', at: now + 1_800_000 });
    assert.deepEqual(decideOutcome({ ...base, retryStep: 3 }), { kind: 'failed', disable: null });
  });

  it('honours a longer Retry-After on 429 and 503, never a shorter one', () => {
    assert.deepEqual(decideOutcome({ ...base, statusCode: 429, retryAfter: '60' }), {
      kind: 'retry',
      at: now + 60_000,
    });
    assert.deepEqual(decideOutcome({ ...base, statusCode: 503, retryAfter: '1' }), {
      kind: 'retry',
      at: now + 5000,
    });
    assert.deepEqual(decideOutcome({ ...base, statusCode: 500, retryAfter: '60' }), {
      kind: 'retry',
      at: now + 5000,
    });
  });

  it('an endpoint failing without a success for the configured time is disabled', () => {
    const failing = { ...base, disableAfterMs: 3_600_000 };
    assert.equal(decideOutcome({ ...failing, failingSince: now - 3_599_999 }).kind, 'retry');
    assert.deepEqual(decideOutcome({ ...failing, failingSince: now - 3_600_000 }), {
      kind: 'failed',
      disable: 'failing',
    });
  });
});

describe('retry schedule', () => {
  it('jitter keeps every delay within 20 % of the schedule and never delays the first attempt (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (step, r) => {
          const delay = delayBeforeAttempt(schedule, step, () => r) as number;
          const planned = schedule[step] as number;
          return delay >= planned * 0.8 && delay <= planned * 1.2;
        },
      ),
    );
    assert.equal(
      delayBeforeAttempt(schedule, 0, () => 0.99),
      0,
    );
    assert.equal(delayBeforeAttempt(schedule, 4), undefined);
  });

  it('reads Retry-After as seconds or as an HTTP date, capped at a day', () => {
    assert.equal(retryAfterMs('120', now), 120_000);
    assert.equal(retryAfterMs(new Date(now + 30_000).toUTCString(), now), 30_000);
    assert.equal(retryAfterMs('99999999', now), 86_400_000);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
  });
});
