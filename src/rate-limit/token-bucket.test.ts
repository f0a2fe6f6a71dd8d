import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import { rateLimitField, rateLimitPolicy, retryAfterSeconds } from './rate-limiter.ts';
import { fullBucket, takeToken } from './token-bucket.ts';

describe('token bucket', () => {
  it('admits a burst, then refuses until a token has been refilled', () => {
    const bucket = fullBucket(3, 0);
    const decisions = [0, 0, 0, 0].map(() => takeToken(bucket, 2, 3, 0));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false],
    );
    assert.deepEqual(
      decisions.map((d) => d.remaining),
      [2, 1, 0, 0],
    );
    assert.equal(decisions[3]?.retryAfterMs, 500);
    assert.equal(takeToken(bucket, 2, 3, 499).allowed, false);
    assert.equal(takeToken(bucket, 2, 3, 500).allowed, true);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const bucket = fullBucket(5, 0);
    takeToken(bucket, 100, 5, 0);
    const later = takeToken(bucket, 100, 5, 3_600_000);
    assert.equal(later.remaining, 4);
  });

  it('refills nothing when the clock goes backwards', () => {
    const bucket = { tokens: 0, updatedAt: 10_000 };
    assert.equal(takeToken(bucket, 1000, 10, 5_000).allowed, false);
  });

  it('never admits more than burst + rate × elapsed time (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 200 }),
        (burst, rate, gaps) => {
          const bucket = fullBucket(burst, 0);
          let now = 0;
          let admitted = 0;
          for (const gap of gaps) {
            now += gap;
            if (takeToken(bucket, rate, burst, now).allowed) admitted++;
          }
          return admitted <= burst + Math.floor((rate * now) / 1000) + 1;
        },
      ),
    );
  });
});

describe('memory rate limiter', () => {
  it('keeps one bucket per key and policy', () => {
    const limiter = new MemoryRateLimiter();
    const policy = rateLimitPolicy('credential', { requests_per_second: 1, burst: 1 });
    const ip = rateLimitPolicy('ip', { requests_per_second: 1, burst: 1 });
    assert.equal(limiter.take('a', policy, 0).allowed, true);
    assert.equal(limiter.take('a', policy, 0).allowed, false);
    assert.equal(limiter.take('b', policy, 0).allowed, true);
    assert.equal(limiter.take('a', ip, 0).allowed, true);
    limiter.close();
  });

  it("a caller's memo finds the same bucket the map holds, and never a dropped one or another key's", () => {
    const limiter = new MemoryRateLimiter({ maxBuckets: 2 });
    const policy = rateLimitPolicy('credential', { requests_per_second: 1, burst: 3 });
    const memo = {};
    assert.equal(limiter.take('k1', policy, 0, memo).remaining, 2);
    assert.equal(limiter.take('k1', policy, 0).remaining, 1, 'the memo and the map share one bucket');
    assert.equal(limiter.take('k1', policy, 0, memo).remaining, 0);
    assert.equal(limiter.take('k2', policy, 0, memo).remaining, 2, 'a memo of another key is not used');
    assert.equal(limiter.take('k1', policy, 0, memo).allowed, false);
    // The bound drops k1 (the oldest): a memo of it must not resurrect its empty bucket.
    limiter.take('k3', policy, 0);
    assert.equal(limiter.take('k1', policy, 0, memo).remaining, 2);
    limiter.sweep(70_000);
    assert.equal(limiter.size, 0);
    assert.equal(limiter.take('k1', policy, 70_000, memo).remaining, 2);
    assert.equal(limiter.size, 1, 'a swept bucket is made again in the map, not kept in the memo alone');
    limiter.close();
  });

  it('forgets buckets a minute after they are full again, and stays within its bound', () => {
    const limiter = new MemoryRateLimiter({ maxBuckets: 2 });
    const policy = rateLimitPolicy('ip', { requests_per_second: 10, burst: 10 });
    limiter.take('a', policy, 0);
    limiter.take('b', policy, 0);
    limiter.take('c', policy, 0);
    assert.equal(limiter.size, 2);
    limiter.sweep(50);
    assert.equal(limiter.size, 2);
    limiter.sweep(100);
    assert.equal(limiter.size, 2, 'full again, but kept for the next request');
    assert.equal(limiter.take('b', policy, 30_000).remaining, 9, 'a kept bucket answers as a new one would');
    limiter.sweep(60_100);
    assert.equal(limiter.size, 1);
    limiter.sweep(90_100);
    assert.equal(limiter.size, 0);
    limiter.close();
  });
});

describe('RateLimit headers (draft-ietf-httpapi-ratelimit-headers-10)', () => {
  it('announces the policy and the remaining quota as structured fields', () => {
    const policy = rateLimitPolicy('credential', { requests_per_second: 10, burst: 100 });
    assert.equal(policy.header, '"credential";q=100;w=10');
    const decision = { allowed: true, remaining: 57, retryAfterMs: 0, resetMs: 4200 };
    assert.equal(rateLimitField(policy, decision), '"credential";r=57;t=5');
  });

  it('points reset and Retry-After at the same moment when refused, never at 0 s', () => {
    const policy = rateLimitPolicy('ip', { requests_per_second: 100, burst: 100 });
    const refused = { allowed: false, remaining: 0, retryAfterMs: 10, resetMs: 1000 };
    assert.equal(rateLimitField(policy, refused), '"ip";r=0;t=1');
    assert.equal(retryAfterSeconds(refused), '1');
  });
});
