import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createTestRedis, REDIS_SKIP_MESSAGE, type TestRedis } from '../../test/support/redis.ts';
import { rateLimitPolicy } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

const redis = await createTestRedis();
const silent = pino({ level: 'silent' });

describe('Redis rate limiter', { skip: redis ? false : REDIS_SKIP_MESSAGE }, () => {
  const clients: Redis[] = [];
  const connect = () => {
    const client = new Redis((redis as TestRedis).url);
    clients.push(client);
    return client;
  };
  after(async () => {
    for (const client of clients) client.disconnect();
    await redis?.cleanup();
  });

  it('admits exactly the burst across instances taking concurrently from one bucket', async () => {
    const limiters = [0, 1, 2].map(
      () => new RedisRateLimiter({ redis: connect(), prefix: (redis as TestRedis).prefix, logger: silent }),
    );
    const policy = rateLimitPolicy('credential', { requests_per_second: 0.001, burst: 40 });
    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        (limiters[i % 3] as RedisRateLimiter).take('key-1', policy, Date.now()),
      ),
    );
    assert.equal(decisions.filter((d) => d.allowed).length, 40);
    const refused = decisions.find((d) => !d.allowed);
    assert.equal(refused?.remaining, 0);
    assert.ok((refused?.retryAfterMs ?? 0) > 0);
  });

  it('keeps separate buckets per key and per policy', async () => {
    const limiter = new RedisRateLimiter({
      redis: connect(),
      prefix: (redis as TestRedis).prefix,
      logger: silent,
    });
    const credential = rateLimitPolicy('credential', { requests_per_second: 0.001, burst: 1 });
    const ip = rateLimitPolicy('ip', { requests_per_second: 0.001, burst: 1 });
    assert.equal((await limiter.take('a', credential, Date.now())).allowed, true);
    assert.equal((await limiter.take('a', credential, Date.now())).allowed, false);
    assert.equal((await limiter.take('b', credential, Date.now())).allowed, true);
    assert.equal((await limiter.take('a', ip, Date.now())).allowed, true);
  });
});

it('falls back to limits in this instance when Redis does not answer', async () => {
  const unreachable = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  unreachable.on('error', () => {});
  const limiter = new RedisRateLimiter({ redis: unreachable, prefix: 'unused', logger: silent });
  const policy = rateLimitPolicy('ip', { requests_per_second: 0.001, burst: 2 });
  const decisions = [];
  for (let i = 0; i < 3; i++) decisions.push(await limiter.take('203.0.113.1', policy, Date.now()));
  assert.deepEqual(
    decisions.map((d) => d.allowed),
    [true, true, false],
  );
  await limiter.close();
  unreachable.disconnect();
});
