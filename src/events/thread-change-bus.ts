import { BroadcastChannel } from 'node:worker_threads';
import { CHANGE_TOPICS, type ChangeBus, type ChangeListener, type ChangeTopic } from './change-bus.ts';

/**
 * The change bus of one instance whose parts run in several threads (the data path has its own):
 * every thread that opens the same `channel` name hears every announcement, its own at once and
 * synchronously, the others' on their next event-loop turn.
 */
export function createThreadChangeBus(channel: string): ChangeBus {
  const listeners = new Set<ChangeListener>();
  const deliver = (topic: ChangeTopic) => {
    for (const listener of listeners) listener(topic);
  };
  const port = new BroadcastChannel(channel);
  port.onmessage = (event) => {
    const topic = event.data as ChangeTopic;
    if (CHANGE_TOPICS.includes(topic)) deliver(topic);
  };
  // A thread waiting only for announcements has nothing to do: do not keep it alive.
  (port as unknown as { unref(): void }).unref(); // missing from @types/node
  return {
    publish(topic) {
      deliver(topic);
      port.postMessage(topic);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      port.close();
    },
  };
}
