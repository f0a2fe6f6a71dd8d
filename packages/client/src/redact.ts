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

/** The URL's path and query with query values and anything shaped like a credential redacted. */
export function redactPath(url: URL): string {
  const names = [...url.searchParams.keys()];
  const query =
    names.length === 0 ? '' : `?${names.map((n) => `${encodeURIComponent(n)}=[redacted]`).join('&')}`;
  return `${url.pathname}${query}`.replace(CREDENTIAL, '[redacted]');
}
