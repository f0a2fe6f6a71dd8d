/** The two environments every credential, route and webhook endpoint belongs to (C6). */
export type Environment = 'production' | 'sandbox';

/** The environment marker inside a key string (C6): visible to whoever holds the key. */
export const ENVIRONMENT_MARKER: Readonly<Record<Environment, string>> = {
  production: 'live',
  sandbox: 'test',
};
export const MARKER_ENVIRONMENT: Readonly<Record<string, Environment>> = {
  live: 'production',
  test: 'sandbox',
};
