import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import {
  expressWebhookMiddleware,
  fastifyWebhookPlugin,
  fetchWebhookHandler,
  nodeHttpWebhookHandler,
  type VerifiedWebhook,
  type WebhookReceipt,
  type WebhookReceiverOptions,
} from '../src/webhooks/index.ts';
import { newSecret, nowSeconds, signedHeaders } from './webhooks-fixtures.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

const body = JSON.stringify({ type: 'order.paid', data: { order_id: 'o-1' } });

function post(url: string, payload: string | Buffer, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}

/** Every adapter, driven the same way: one receiver URL and what its handler saw. */
type Mount = (options: WebhookReceiverOptions) => Promise<{ url: string; close(): Promise<void> }>;

const MOUNTS: Record<string, Mount> = {
  'node:http': async (options) => {
    const server = createServer(nodeHttpWebhookHandler(options));
    return { url: await listen(server), close: () => new Promise((r) => server.close(() => r())) };
  },
  'Express (stream)': async (options) => {
    const middleware = expressWebhookMiddleware(options);
    const server = createServer((req, res) => middleware(req, res, () => res.writeHead(500).end()));
    return { url: await listen(server), close: () => new Promise((r) => server.close(() => r())) };
  },
  'Express (after express.raw)': async (options) => {
    const middleware = expressWebhookMiddleware(options);
    // What express.raw() does: read the body into req.body as a Buffer, then call the next layer.
    const server = createServer((req: IncomingMessage & { body?: Buffer }, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        req.body = Buffer.concat(chunks);
        void middleware(req, res, () => res.writeHead(500).end());
      });
    });
    return { url: await listen(server), close: () => new Promise((r) => server.close(() => r())) };
  },
  Fastify: async (options) => {
    const app = Fastify();
    await app.register(fastifyWebhookPlugin(options) as never, { prefix: '/hooks' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hooks`,
      close: () => app.close(),
    };
  },
  'Web Request': async (options) => {
    const handle = fetchWebhookHandler({ ...options, clientIp: () => '192.0.2.1' });
    // A minimal node:http → Request bridge, as Hono's node server or Next.js would provide.
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers(req.headers as Record<string, string>);
      const response = await handle(
        new Request(`http://localhost${req.url}`, {
          method: req.method ?? 'POST',
          headers,
          body: Buffer.concat(chunks),
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text());
    });
    return { url: await listen(server), close: () => new Promise((r) => server.close(() => r())) };
  },
};

for (const [name, mount] of Object.entries(MOUNTS)) {
  describe(`the ${name} adapter`, () => {
    const secret = newSecret();
    const receipts: WebhookReceipt[] = [];
    const events: VerifiedWebhook[] = [];
    let failNext = false;
    const mounted = mount({
      secrets: [secret],
      maxBodyBytes: 4096,
      rateLimit: { capacity: 40, refillPerSecond: 0.001 },
      logger: (receipt) => receipts.push(receipt),
      validate: (payload) =>
        typeof (payload as { type?: unknown }).type === 'string' ? true : ['/type: must be a string'],
      onEvent: (event) => {
        if (failNext) {
          failNext = false;
          throw new Error('database down');
        }
        events.push(event);
      },
    });
    after(async () => (await mounted).close());

    it('answers 200 to a genuine delivery and hands the handler its payload', async () => {
      const { url } = await mounted;
      const headers = signedHeaders([secret], body);
      const reply = await post(url, body, headers);
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json, { status: 'accepted' });
      assert.equal(events.at(-1)?.id, headers['webhook-id']);
      assert.deepEqual(events.at(-1)?.payload, JSON.parse(body));
      // A retry of the same message is acknowledged without running the handler again.
      const again = await post(url, body, headers);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json, { status: 'duplicate' });
      assert.equal(events.filter((e) => e.id === headers['webhook-id']).length, 1);
    });

    it('refuses tampered (401), stale (401), unsigned (400), non-JSON (400), invalid (422) and oversized (413) bodies', async () => {
      const { url } = await mounted;
      const cases: [string | Buffer, Record<string, string>, number, string][] = [
        [`${body} `, signedHeaders([secret], body), 401, 'invalid_signature'],
        [body, signedHeaders([newSecret()], body), 401, 'invalid_signature'],
        [body, signedHeaders([secret], body, { timestamp: nowSeconds() - 600 }), 401, 'timestamp_too_old'],
        [body, { 'webhook-id': 'msg_x' }, 400, 'missing_headers'],
        ['not json', signedHeaders([secret], 'not json'), 400, 'malformed_json'],
        ['{"data":1}', signedHeaders([secret], '{"data":1}'), 422, 'invalid_payload'],
        [Buffer.alloc(5000, 32), signedHeaders([secret], ' '.repeat(5000)), 413, 'body_too_large'],
      ];
      for (const [payload, headers, status, reason] of cases) {
        const reply = await post(url, payload, headers);
        assert.equal(reply.status, status, `${reason}: ${JSON.stringify(reply.json)}`);
        assert.equal(reply.json.error, reason);
      }
      assert.deepEqual((await post(url, '{"data":1}', signedHeaders([secret], '{"data":1}'))).json.errors, [
        '/type: must be a string',
      ]);
    });

    it('answers 500 when the handler throws, and accepts the sender’s retry', async () => {
      const { url } = await mounted;
      const headers = signedHeaders([secret], body);
      failNext = true;
      assert.equal((await post(url, body, headers)).status, 500);
      assert.equal((await post(url, body, headers)).status, 200);
      assert.equal(events.at(-1)?.id, headers['webhook-id']);
    });

    it('logs each receipt without the secret or the signature, then rate-limits the IP with 429', async () => {
      const { url } = await mounted;
      const headers = signedHeaders([secret], body);
      await post(url, body, headers);
      const last = receipts.at(-1) as WebhookReceipt;
      assert.equal(last.webhook_id, headers['webhook-id']);
      assert.equal(last.event_type, 'order.paid');
      assert.equal(last.outcome, 'accepted');
      const logged = JSON.stringify(receipts);
      assert.ok(!logged.includes(secret.slice(6, 20)));
      assert.ok(!logged.includes((headers['webhook-signature'] as string).slice(3, 20)));
      let reply: Reply | undefined;
      for (let i = 0; i < 45 && reply?.status !== 429; i++)
        reply = await post(url, body, signedHeaders([secret], body));
      assert.equal(reply?.status, 429);
      assert.ok(Number(reply?.headers['retry-after']) >= 1);
    });
  });
}
