/** Where the client's credential comes from: an API key, or an OAuth client's id and secret. */
export type Credential =
  | { readonly kind: 'api_key'; readonly apiKey: string }
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };

type Env = Readonly<Record<string, string | undefined>>;

const present = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * The credential from the options, else from `GATEHOUSE_API_KEY`, else from `GATEHOUSE_CLIENT_ID`
 * and `GATEHOUSE_CLIENT_SECRET`. A missing one throws naming the variable, never a value.
 */
export function resolveCredential(
  options: { apiKey?: string | undefined; clientId?: string | undefined; clientSecret?: string | undefined },
  env: Env,
): Credential {
  if (present(options.apiKey)) return { kind: 'api_key', apiKey: options.apiKey };
  if (present(options.clientId) || present(options.clientSecret)) {
    const clientId = present(options.clientId) ? options.clientId : env.GATEHOUSE_CLIENT_ID;
    const clientSecret = present(options.clientSecret) ? options.clientSecret : env.GATEHOUSE_CLIENT_SECRET;
    if (!present(clientId)) throw new Error('No OAuth client id: pass clientId or set GATEHOUSE_CLIENT_ID');
    if (!present(clientSecret)) {
      throw new Error('No OAuth client secret: pass clientSecret or set GATEHOUSE_CLIENT_SECRET');
    }
    return { kind: 'oauth', clientId, clientSecret };
  }
  if (present(env.GATEHOUSE_API_KEY)) return { kind: 'api_key', apiKey: env.GATEHOUSE_API_KEY };
  if (present(env.GATEHOUSE_CLIENT_ID) || present(env.GATEHOUSE_CLIENT_SECRET)) {
    if (!present(env.GATEHOUSE_CLIENT_SECRET)) throw new Error('GATEHOUSE_CLIENT_SECRET is not set');
    if (!present(env.GATEHOUSE_CLIENT_ID)) throw new Error('GATEHOUSE_CLIENT_ID is not set');
    return { kind: 'oauth', clientId: env.GATEHOUSE_CLIENT_ID, clientSecret: env.GATEHOUSE_CLIENT_SECRET };
  }
  throw new Error(
    'No credential: set GATEHOUSE_API_KEY (or GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET), or pass apiKey',
  );
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The base URL, parsed: https only; http:// only with the loopback opt-in. */
export function checkBaseUrl(baseUrl: string | undefined, allowInsecureLocalhost: boolean): URL {
  if (!present(baseUrl))
    throw new Error('No baseUrl: pass the Gatehouse data URL, e.g. https://api.example.com');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error('baseUrl is not a URL');
  }
  if (url.username !== '' || url.password !== '') throw new Error('baseUrl must not carry credentials');
  if (url.search !== '' || url.hash !== '') throw new Error('baseUrl must not have a query or fragment');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLocalhost && LOOPBACK.has(url.hostname)) return url;
  if (url.protocol === 'http:') {
    throw new Error(
      'baseUrl must be https:// (http:// is allowed only for localhost with allowInsecureLocalhost: true)',
    );
  }
  throw new Error('baseUrl must be an https:// URL');
}
