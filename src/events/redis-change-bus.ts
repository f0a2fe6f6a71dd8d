import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Redis } from '../db/redis.ts';
import { CHANGE_TOPICS, type ChangeBus, type ChangeListener, type ChangeTopic } from './change-bus.ts';

const TOPICS: readonly ChangeTopic[] = CHANGE_TOPICS;

/**
 * A change bus shared by every instance through Redis pub/sub (K5 across instances). Listeners of
 * this instance hear a change at once, synchronously; the others within a network round trip. If
 * the subscription drops, messages sent meanwhile are lost, so on every reconnect all caches are
 * told to forget everything; and while it is down the change generation every process reads from
 * the database (`change-generation.ts`) still applies a credential change within 1 s.
 */
export async function createRedisChangeBus(options: {
  redis: Redis;
  prefix: string;
  logger: Logger;
}): Promise<ChangeBus> {
  const channel = `${options.prefix}:changes`;
  const self = randomUUID();
  const listeners = new Set<ChangeListener>();
  const deliver = (topic: ChangeTopic) => {
    for (const listener of listeners) listener(topic);
  };
  const subscriber = options.redis.duplicate({
    enableOfflineQueue: true,
    connectionName: 'gatehouse-changes',
  });
  subscriber.on('error', () => {
    // Reported by the shared connection's handler; reconnects on its own.
  });
  let subscribedOnce = false;
  subscriber.on('ready', () => {
    if (subscribedOnce) {
      options.logger.info({ channel }, 'change bus reconnected; dropping cached credentials');
      for (const topic of TOPICS) deliver(topic);
    }
  });
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const space = message.indexOf(' ');
    const topic = message.slice(space + 1) as ChangeTopic;
    if (message.slice(0, space) === self || !TOPICS.includes(topic)) return;
    deliver(topic);
  });
  await subscriber.subscribe(channel);
  subscribedOnce = true;

  return {
    publish(topic) {
      deliver(topic);
      options.redis.publish(channel, `${self} ${topic}`).catch((error: NodeJS.ErrnoException) => {
        options.logger.warn(
          { topic, err_code: error.code ?? error.name },
          'could not announce a change to other instances; they read it from the database within 1 s',
        );
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      subscriber.disconnect();
    },
  };
}
