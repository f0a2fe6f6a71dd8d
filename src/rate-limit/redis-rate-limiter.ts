import type { Logger } from 'pino';
import type { Redis } from '../db/redis.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import type { LimitMemo, RateLimiter, RateLimitPolicy } from './rate-limiter.ts';
import type { LimitDecision } from './token-bucket.ts';

/**
 * The token bucket of `token-bucket.ts`, run atomically inside Redis so every instance draws from
 * the same bucket. Redis's own clock is used, so instances with skewed clocks still agree. Tokens
 * are kept as a float string; the key expires once the bucket would be full again.
 */
const TAKE_TOKEN_LUA = `
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / rate)
end
local reset = math.ceil((burst - tokens) / rate)
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], reset + 1000)
return { allowed, math.floor(tokens), retry, reset }
`;

interface TokenCommand {
  gatehouseTakeToken(key: string, rate: number, burst: number): Promise<[number, number, number, number]>;
}

const FALLBACK_LOG_INTERVAL_MS = 10_000;

/**
 * Rate limits shared across instances (T3). When Redis does not answer in time the decision falls
 * back to this instance's memory: limits stay enforced per instance instead of failing every
 * request or none.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis & TokenCommand;
  readonly #prefix: string;
  readonly #fallback = new MemoryRateLimiter();
  readonly #logger: Logger;
  #lastFallbackLog = 0;

  constructor(options: { redis: Redis; prefix: string; logger: Logger }) {
    options.redis.defineCommand('gatehouseTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN_LUA });
    this.#redis = options.redis as Redis & TokenCommand;
    this.#prefix = `${options.prefix}:rl:`;
    this.#logger = options.logger;
  }

  take(key: string, policy: RateLimitPolicy, now: number, memo?: LimitMemo): Promise<LimitDecision> {
    return this.#redis
      .gatehouseTakeToken(`${this.#prefix}${policy.name}:${key}`, policy.requestsPerSecond, policy.burst)
      .then(
        ([allowed, remaining, retryAfterMs, resetMs]) => ({
          allowed: allowed === 1,
          remaining,
          retryAfterMs,
          resetMs,
        }),
        (error: NodeJS.ErrnoException) => {
          if (now - this.#lastFallbackLog >= FALLBACK_LOG_INTERVAL_MS) {
            this.#lastFallbackLog = now;
            this.#logger.warn(
              { err_code: error.code ?? error.name },
              'redis rate limiter unavailable; enforcing limits per instance',
            );
          }
          return this.#fallback.take(key, policy, now, memo);
        },
      );
  }

  async close(): Promise<void> {
    await this.#fallback.close();
  }
}
