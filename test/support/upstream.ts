import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the upstream received completely (headers and the whole body). */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

export interface RecordingUpstream {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Requests whose headers arrived, complete or not. */
  started: number;
  /** Requests whose connection ended before the body was complete (never handled). */
  aborted: number;
  close(): Promise<void>;
}

/**
 * A stand-in for the API behind Gatehouse: plain HTTP on 127.0.0.1, records every request it
 * receives in full and answers `{"upstream": name, "path": …}`.
 */
export async function startRecordingUpstream(name: string): Promise<RecordingUpstream> {
  const upstream: RecordingUpstream = {
    url: '',
    received: [],
    started: 0,
    aborted: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    upstream.started++;
    const chunks: Buffer[] = [];
    let complete = false;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      complete = true;
      upstream.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      });
      const body = JSON.stringify({ upstream: name, path: req.url });
      res.writeHead(200, {
        'content-type': 'application/json',
        connection: 'keep-alive, x-upstream-hop',
        'x-upstream-hop': '1',
      });
      res.end(body);
    });
    req.on('close', () => {
      if (!complete) upstream.aborted++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (upstream as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return upstream;
}
