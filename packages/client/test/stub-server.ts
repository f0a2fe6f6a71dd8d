import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCertificate } from './test-certificate.ts';

// Generated for this test process; nothing is read from or written to disk.
const certificate = await createTestCertificate();

/** The test CA the stub's certificate is signed by (made at run time). */
export const CA = certificate.ca;

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
    cert: certificate.cert,
    key: certificate.key,
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
