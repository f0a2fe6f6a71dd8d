import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

const URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  readonly url: string;
  /** A key prefix of this test's own (`GATEHOUSE_REDIS_KEY_PREFIX`), so parallel tests never share buckets. */
  readonly prefix: string;
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

let reachable: Promise<boolean> | undefined;

/**
 * Redis for one test, or undefined when none is reachable. In CI (`CI` set) an unreachable server
 * is an error: those tests must run there, not skip.
 */
export async function createTestRedis(): Promise<TestRedis | undefined> {
  reachable ??= probe();
  if (!(await reachable)) {
    if (process.env.CI) throw new Error(`Redis is required in CI but ${redact(URL)} is not reachable`);
    return undefined;
  }
  const prefix = `gh_test_${randomBytes(6).toString('hex')}`;
  return {
    url: URL,
    prefix,
    async cleanup() {
      const client = new Redis(URL, { lazyConnect: true });
      await client.connect();
      try {
        const keys = await client.keys(`${prefix}:*`);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
      }
    },
  };
}

export const REDIS_SKIP_MESSAGE = `Redis not reachable at ${redact(URL)}: Redis tests skipped (they run in CI)`;

async function probe(): Promise<boolean> {
  const client = new Redis(URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]+@/, '//$1:***@');
}
