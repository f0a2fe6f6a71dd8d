import { createPublicKey, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { type LeakConfig, parseKeyList } from './leak-config.ts';

/** The code host's signing keys, by `GITHUB-PUBLIC-KEY-IDENTIFIER`. */
export interface CodeHostKeys {
  /** The key named `id`; undefined when the code host has none by that name. */
  find(id: string): Promise<KeyObject | undefined>;
}

/** The code host's keys could not be fetched and none were fetched before: the report cannot be checked. */
export class CodeHostKeysUnavailable extends Error {}

/** A source of keys that may hold connections to close. */
export type ClosableCodeHostKeys = CodeHostKeys & { close(): Promise<void> };

/** The configured source: the key file's keys, the fetched list, or null (the receiver is off). */
export function codeHostKeysOf(config: LeakConfig, extraCa: string | null): ClosableCodeHostKeys | null {
  if (config.codeHostKeysUrl !== null) return new FetchedCodeHostKeys(config.codeHostKeysUrl, { extraCa });
  if (config.codeHostKeys === null) return null;
  const byId = new Map(config.codeHostKeys.map((key) => [key.id, createPublicKey(key.pem)]));
  return { find: async (id) => byId.get(id), close: async () => {} };
}

export interface FetchedKeysOptions {
  /** How long a fetched list is used before it is fetched again. */
  readonly maxAgeMs?: number;
  /** A report naming a key the list lacks fetches again (the code host rotated), at most this often. */
  readonly refetchAfterMs?: number;
  /** CA certificates (PEM) trusted besides the public roots (`GATEHOUSE_WEBHOOK_CA_FILE`). */
  readonly extraCa?: string | null;
  readonly now?: () => number;
}

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 5_000;
const RETRY_UNAVAILABLE_MS = 5_000;

/**
 * Keys fetched from the code host's published list (`GATEHOUSE_SECRET_SCANNING_KEYS_URL`) and
 * cached: fetched at the first report, again after an hour, and again when a report names a key
 * the list lacks (at most once a minute, so forged identifiers cannot make Gatehouse hammer the
 * code host; every 5 s while no list could be fetched yet). Concurrent reports share one fetch;
 * a failed fetch keeps the list it had.
 */
export class FetchedCodeHostKeys implements CodeHostKeys {
  readonly #url: string;
  readonly #maxAgeMs: number;
  readonly #refetchAfterMs: number;
  readonly #now: () => number;
  readonly #agent: Agent;
  #keys: Map<string, KeyObject> | null = null;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #fetching: Promise<void> | null = null;

  constructor(url: string, options: FetchedKeysOptions = {}) {
    this.#url = url;
    this.#maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.#refetchAfterMs = options.refetchAfterMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#agent = new Agent({
      connect: { ca: options.extraCa ? [...rootCertificates, options.extraCa] : [...rootCertificates] },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      connectTimeout: TIMEOUT_MS,
    });
  }

  async find(id: string): Promise<KeyObject | undefined> {
    if (this.#fetching !== null) await this.#fetching;
    const now = this.#now();
    const sinceAttempt = now - this.#attemptedAt;
    const due =
      this.#keys === null
        ? sinceAttempt >= RETRY_UNAVAILABLE_MS
        : sinceAttempt >= this.#refetchAfterMs &&
          (now - this.#fetchedAt >= this.#maxAgeMs || !this.#keys.has(id));
    if (due) await this.#refresh();
    if (this.#keys === null) throw new CodeHostKeysUnavailable();
    return this.#keys.get(id);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  #refresh(): Promise<void> {
    this.#fetching ??= this.#fetch().finally(() => {
      this.#fetching = null;
    });
    return this.#fetching;
  }

  async #fetch(): Promise<void> {
    // A failed fetch keeps the list it had; the next attempt waits for the next report, and for
    // `refetchAfterMs` (`RETRY_UNAVAILABLE_MS` while there is no list at all).
    this.#attemptedAt = this.#now();
    try {
      const response = await request(this.#url, {
        dispatcher: this.#agent,
        headers: { accept: 'application/json' },
        // One deadline for the whole fetch: the agent's timeouts are per step, so a list that
        // trickles in a byte at a time would otherwise hold every report waiting on this fetch.
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await bodyText(response.body);
      if (response.statusCode !== 200 || text === null) return;
      const keys = parseKeyList(text, { skipUnusable: true });
      if (typeof keys === 'string') return;
      this.#keys = new Map(keys.map((key) => [key.id, createPublicKey(key.pem)]));
      this.#fetchedAt = this.#attemptedAt;
    } catch {
      // Unreachable or timed out: the report that asked is answered 503 when no list is cached.
    }
  }
}

async function bodyText(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BYTES) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
