import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Beside this file when run as TypeScript; two levels up when run compiled from .test-build/test.
const fixtures = existsSync(join(here, 'fixtures'))
  ? join(here, 'fixtures')
  : join(here, '..', '..', 'test', 'fixtures');

/** The test CA the stub's certificate is signed by. */
export const CA = readFileSync(join(fixtures, 'ca.pem'));

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type StubHandler = (req: SeenRequest, res: ServerResponse) => void;

export interface Stub {
  readonly url: string;
  readonly seen: SeenRequest[];
  handle: StubHandler;
  close(): Promise<void>;
}

/** A tiny HTTPS server for localhost whose answers each test sets with `handle`. */
export async function startStub(handle: StubHandler = (_req, res) => json(res, 200, {})): Promise<Stub> {
  const server = createServer({
    cert: readFileSync(join(fixtures, 'localhost.pem')),
    key: readFileSync(join(fixtures, 'localhost-key.pem')),
  });
  const stub: Stub = {
    url: '',
    seen: [],
    handle,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      stub.seen.push(seen);
      stub.handle(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (stub as { url: string }).url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

/** Answers `body` as JSON (problem+json for status >= 400). */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    'gatehouse-request-id': 'req_stub',
    ...headers,
  });
  res.end(JSON.stringify(body));
}
