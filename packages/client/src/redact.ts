/**
 * What the `logger` hook receives for each attempt: no header values, no body, and the query
 * string's values replaced, so no key, token or secret can reach it.
 */
export interface RequestLogRecord {
  readonly method: string;
  /** The path with every query value shown as `[redacted]`. */
  readonly path: string;
  /** 0 for the first attempt. */
  readonly attempt: number;
  /** The answer's status; undefined when none arrived. */
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly requestId: string | undefined;
  readonly outcome: 'ok' | 'retry' | 'error';
  readonly code?: string;
  readonly retryInMs?: number;
}

const CREDENTIAL =
  /gate_[A-Za-z0-9]+_[A-Za-z0-9_-]+|whsec_[A-Za-z0-9+/=_-]+|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+/g;

/**
 * The URL's path and query with query values, every `known` secret (as given or URL-encoded) and
 * anything shaped like a Gatehouse credential redacted.
 */
export function redactPath(url: URL, known: Iterable<string> = []): string {
  const names = [...url.searchParams.keys()];
  const query =
    names.length === 0 ? '' : `?${names.map((n) => `${encodeURIComponent(n)}=[redacted]`).join('&')}`;
  let path = `${url.pathname}${query}`;
  for (const secret of known) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), encodeURI(secret)])) {
      path = path.split(form).join('[redacted]');
    }
  }
  return path.replace(CREDENTIAL, '[redacted]');
}

/** The last few secrets a client held (current and retired), for `redactPath`; bounded. */
export class KnownSecrets {
  readonly #values: string[] = [];
  readonly #max: number;
  constructor(max = 8) {
    this.#max = max;
  }
  add(value: string): void {
    const at = this.#values.indexOf(value);
    if (at !== -1) this.#values.splice(at, 1);
    this.#values.push(value);
    if (this.#values.length > this.#max) this.#values.shift();
  }
  [Symbol.iterator](): Iterator<string> {
    return this.#values[Symbol.iterator]();
  }
}

/** What the client knows about one attempt when it logs it. */
export interface LogEntry {
  readonly method: string;
  readonly url: URL;
  readonly attempt: number;
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly requestId: string | undefined;
  readonly outcome: RequestLogRecord['outcome'];
  readonly code?: string | undefined;
  readonly retryInMs?: number;
}

/** The frozen record the logger hook receives: no header, no body, the path redacted. */
export function logRecord(entry: LogEntry, known: Iterable<string>): RequestLogRecord {
  return Object.freeze({
    method: entry.method,
    path: redactPath(entry.url, known),
    attempt: entry.attempt,
    status: entry.status,
    durationMs: entry.durationMs,
    requestId: entry.requestId,
    outcome: entry.outcome,
    ...(entry.code === undefined ? {} : { code: entry.code }),
    ...(entry.retryInMs === undefined ? {} : { retryInMs: entry.retryInMs }),
  });
}
