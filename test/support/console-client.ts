import { createHttpsClient, type HttpResponse } from './https-client.ts';
import type { TestServer } from './test-server.ts';

/** The console's session cookie name (`src/console/console-request.ts`). */
export const CONSOLE_COOKIE = '__Host-gatehouse_console';

/**
 * A browser-like console client without a browser: same-origin headers by default, a session
 * cookie once signed in, forms sent url-encoded. For the security tests that a browser would hide.
 */
export function consoleClient(server: TestServer) {
  const client = createHttpsClient(server.ca);
  const origin = server.adminUrl;
  let cookie: string | undefined;
  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    client.send(`${origin}${path}`, {
      method,
      headers: {
        ...(cookie === undefined ? {} : { cookie: `${CONSOLE_COOKIE}=${cookie}` }),
        ...(body === undefined
          ? {}
          : { 'content-type': 'application/x-www-form-urlencoded', origin, 'sec-fetch-site': 'same-origin' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body }),
    });
  return {
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
    get: (path: string, headers?: Record<string, string>) => send('GET', path, undefined, headers),
    /** Posts a form; `fields` are sent as given (add `_csrf`/`_form` yourself, or use `submit`). */
    post: (path: string, fields: Record<string, string>, headers?: Record<string, string>) =>
      send('POST', path, new URLSearchParams(fields).toString(), headers),
    /** Posts a url-encoded body exactly as given. */
    postBody: (path: string, body: string, headers?: Record<string, string>) =>
      send('POST', path, body, headers),
    /** Posts a form the way the page would: with this session's CSRF token and a fresh form id. */
    async submit(
      path: string,
      fields: Record<string, string>,
      headers?: Record<string, string>,
    ): Promise<HttpResponse> {
      const page = await send('GET', '/console/integrators');
      return send(
        'POST',
        path,
        new URLSearchParams({ ...formTokensOf(page.text), ...fields }).toString(),
        headers,
      );
    },
    async signIn(token: string): Promise<HttpResponse> {
      const response = await send('POST', '/console/sign-in', new URLSearchParams({ token }).toString());
      const set = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
      const value = set.map((c) => new RegExp(`^${CONSOLE_COOKIE}=([^;]+)`).exec(c)?.[1]).find(Boolean);
      if (value) cookie = value;
      return response;
    },
    close: () => client.close(),
  };
}

/** The hidden `_csrf` and `_form` fields of the first form of a page. */
export function formTokensOf(html: string): { _csrf: string; _form: string } {
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const form = /name="_form" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf || !form) throw new Error('the page has no console form');
  return { _csrf: csrf, _form: form };
}
