import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDevelopmentCertificate } from '../../src/tls/development-certificate.ts';
import { eventually } from './eventually.ts';

/** One request the receiver got, exactly as it arrived. */
export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
}

export interface ReceiverReply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
}

export interface WebhookReceiver {
  /** `https://127.0.0.1:<port>`; append a path per endpoint. */
  readonly url: string;
  /** The CA that signed the receiver's certificate: give it to Gatehouse as GATEHOUSE_WEBHOOK_CA_FILE. */
  readonly caFile: string;
  readonly received: ReceivedWebhook[];
  /** Decides each reply; 204 unless replaced. */
  reply: (request: ReceivedWebhook, earlier: readonly ReceivedWebhook[]) => ReceiverReply;
  receivedAt(path: string): ReceivedWebhook[];
  /** Polls until `condition` holds; fails after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local HTTPS webhook receiver with its own development CA, as an integrator would run one. It
 * records every request (headers and raw body) before replying, so a request counts as received even
 * if the sender dies before reading the reply.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-receiver-'));
  const files = await ensureDevelopmentCertificate(dir);
  const received: ReceivedWebhook[] = [];
  const receiver = {
    reply: (() => ({ status: 204 })) as WebhookReceiver['reply'],
  };
  const server: Server = createServer(
    { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile), keepAliveTimeout: 30_000 },
    (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const entry: ReceivedWebhook = {
          path: request.url ?? '/',
          headers: request.headers,
          body: Buffer.concat(chunks),
          at: Date.now(),
        };
        const earlier = received.filter((r) => r.path === entry.path);
        received.push(entry);
        const reply = receiver.reply(entry, earlier);
        if (reply.delayMs) await sleep(reply.delayMs);
        response.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: files.caFile,
    received,
    get reply() {
      return receiver.reply;
    },
    set reply(value) {
      receiver.reply = value;
    },
    receivedAt: (path) => received.filter((r) => r.path === path),
    async waitFor(condition, timeoutMs = 10_000, what = 'the expected webhooks') {
      await eventually(condition, { timeoutMs, what });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
