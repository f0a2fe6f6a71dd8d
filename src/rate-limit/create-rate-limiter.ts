import type { Logger } from 'pino';
import type { Redis } from '../db/redis.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

export interface RateLimiterOptions {
  /** Set when `GATEHOUSE_REDIS_URL` is: buckets shared by every instance. */
  readonly redis: Redis | null;
  /** `GATEHOUSE_REDIS_KEY_PREFIX`, so deployments sharing one Redis keep their own buckets. */
  readonly prefix: string;
  readonly logger: Logger;
}

/** The rate limiter of this deployment: shared through Redis when configured, else in memory. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  return options.redis
    ? new RedisRateLimiter({ redis: options.redis, prefix: options.prefix, logger: options.logger })
    : new MemoryRateLimiter();
}
