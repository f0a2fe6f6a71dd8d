import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/**
 * A plain-HTTP webhook receiver for the delivery worker's tests: records every request, counts those
 * still open per path and answers what `reply` decides.
 */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export class RecordingReceiver {
  readonly received: Received[] = [];
  readonly open = new Map<string, number>();
  readonly peak = new Map<string, number>();
  reply: (request: Received, earlier: number) => number | Promise<number> = () => 204;
  readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const entry = { path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks) };
      const earlier = this.at(entry.path).length;
      this.received.push(entry);
      const open = (this.open.get(entry.path) ?? 0) + 1;
      this.open.set(entry.path, open);
      this.peak.set(entry.path, Math.max(open, this.peak.get(entry.path) ?? 0));
      const status = await this.reply(entry, earlier);
      this.open.set(entry.path, (this.open.get(entry.path) ?? 1) - 1);
      response.writeHead(status).end(status === 204 ? undefined : `status ${status}`);
    });
  });

  at(path: string): Received[] {
    return this.received.filter((entry) => entry.path === path);
  }
}

/** Every gate a test opened; released after each test so a failed one does not hold the next. */
export const gates: (() => void)[] = [];

/** A promise the receiver awaits before answering, so requests stay in flight until `release`. */
export function gate(): { wait: Promise<void>; release: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  gates.push(() => resolve());
  return { wait: promise, release: () => resolve() };
}
