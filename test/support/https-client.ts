import { Agent, request } from 'undici';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  json: any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
}

/**
 * An HTTPS client that trusts exactly one CA: the way tests reach the development certificate.
 * `localAddress` picks the client's source address, e.g. `127.0.0.2` to be a second loopback client.
 */
export function createHttpsClient(ca: Buffer, options: { localAddress?: string } = {}) {
  const agent = new Agent({
    connect: { ca },
    keepAliveTimeout: 1000,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  });
  return {
    async send(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
      const headers: Record<string, string> = { ...options.headers };
      let body: string | null = null;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        if (
          typeof options.body !== 'string' &&
          !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
        ) {
          headers['content-type'] = 'application/json';
        }
      }
      const response = await request(url, {
        method: (options.method ?? 'GET') as 'GET',
        headers,
        body,
        dispatcher: agent,
      });
      const text = await response.body.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, headers: response.headers, text, json };
    },
    close: () => agent.close(),
  };
}
