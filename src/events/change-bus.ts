/** What changed: credentials of some kind, so caches holding them must drop what they hold. */
export const CHANGE_TOPICS = ['credentials', 'admin_tokens', 'signing_keys', 'revoked_tokens'] as const;
export type ChangeTopic = (typeof CHANGE_TOPICS)[number];

export type ChangeListener = (topic: ChangeTopic) => void;

/**
 * Announces changes that caches must not miss. The in-process bus reaches this instance only; with
 * several instances a shared transport (Redis pub/sub) relays each announcement to all of them.
 */
export interface ChangeBus {
  publish(topic: ChangeTopic): void;
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

export function createLocalChangeBus(): ChangeBus {
  const listeners = new Set<ChangeListener>();
  return {
    publish(topic) {
      for (const listener of listeners) listener(topic);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => listeners.clear(),
  };
}
