import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  nodeHttpWebhookHandler,
  type VerifiedWebhook,
  type WebhookReceiverOptions,
} from '../../packages/client/src/webhooks/index.ts';
import { ensureDevelopmentCertificate } from '../../src/tls/development-certificate.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually, readUntil } from '../support/eventually.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

interface Captured {
  headers: Record<string, string>;
  body: Buffer;
}

/** An integrator's HTTPS receiver: one `nodeHttpWebhookHandler` per path, and the raw requests seen. */
async function startReceiver() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-receiver-lib-'));
  const files = await ensureDevelopmentCertificate(dir);
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>();
  const captured = new Map<string, Captured[]>();
  const server = createServer(
    { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
    (req, res) => {
      const path = req.url ?? '/';
      const chunks: Buffer[] = [];
      // Record a copy of what Gatehouse sent, then let the library read the same bytes.
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        captured.set(path, [
          ...(captured.get(path) ?? []),
          { headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) },
        ]),
      );
      const route = routes.get(path);
      if (route) void route(req, res);
      else res.writeHead(404).end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ca = readFileSync(files.caFile);
  return {
    url,
    caFile: files.caFile,
    captured: (path: string) => captured.get(path) ?? [],
    mount(path: string, options: WebhookReceiverOptions) {
      routes.set(path, nodeHttpWebhookHandler({ logger: false, ...options }));
    },
    /** Sends a request straight to the receiver, as an attacker or a replaying proxy would. */
    send(path: string, headers: Record<string, string>, body: Buffer | string) {
      return new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
        const outgoing = request(`${url}${path}`, { method: 'POST', headers, ca }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString()) }),
          );
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the receiver library against the real webhook engine', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let integrator: string;
  const events = new Map<string, VerifiedWebhook[]>();
  const onEventAt = (path: string) => (event: VerifiedWebhook) => {
    events.set(path, [...(events.get(path) ?? []), event]);
  };

  const endpoint = async (path: string, extra: Record<string, unknown> = {}) => {
    const created = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: integrator,
        environment: 'production',
        event_types: ['order.paid'],
        url: `${receiver.url}${path}`,
        ...extra,
      },
    });
    assert.equal(created.status, 201, created.text);
    if (created.json.secret) recordSecret(created.json.secret);
    return created.json as { id: string; secret: string | null; public_key: string | null };
  };
  const publish = async (data: Record<string, unknown> = { order_id: 'o-1' }) => {
    const published = await server.admin('POST', '/admin/v1/events', {
      body: { type: 'order.paid', integrator_id: integrator, environment: 'production', data },
    });
    assert.equal(published.status, 201, published.text);
    return published.json.id as string;
  };
  /** The status codes of every attempt at the delivery of a message to an endpoint, oldest first. */
  const attemptStatuses = async (endpointId: string, messageId: string, count: number) => {
    const delivery = await readUntil(
      async () =>
        (
          await server.admin(
            'GET',
            `/admin/v1/webhook-deliveries?endpoint_id=${endpointId}&message_id=${messageId}`,
          )
        ).json.data[0],
      (d) => d !== undefined && d.attempts >= count,
    );
    const attempts = await server.admin('GET', `/admin/v1/webhook-deliveries/${delivery.id}/attempts`);
    return (attempts.json.data as { status_code: number }[]).map((a) => a.status_code).reverse();
  };

  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer({
      name: 'webhook-receiver-lib',
      env: {
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
        GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
        GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0,50ms',
        GATEHOUSE_WEBHOOK_DISABLE_AFTER: '1h',
      },
    });
    await server.admin('POST', '/admin/v1/event-types', {
      body: { name: 'order.paid', schema: { type: 'object' } },
    });
    integrator = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Receiver Lib' } }))
      .json.id;
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('accepts genuine deliveries of every scheme (standard, simple, Ed25519) with 200', async () => {
    const standard = await endpoint('/standard');
    receiver.mount('/standard', { secrets: standard.secret as string, onEvent: onEventAt('/standard') });
    const simple = await endpoint('/simple', {
      signing_scheme: 'simple',
      signature_header: 'X-Acme-Signature',
    });
    receiver.mount('/simple', {
      secrets: simple.secret as string,
      signatureHeader: 'X-Acme-Signature',
      onEvent: onEventAt('/simple'),
    });
    const ed = await endpoint('/ed25519', { signing_scheme: 'ed25519' });
    receiver.mount('/ed25519', { secrets: ed.public_key as string, onEvent: onEventAt('/ed25519') });

    const messageId = await publish({ order_id: 'o-every' });
    for (const [path, created, scheme] of [
      ['/standard', standard, 'v1'],
      ['/simple', simple, 'simple'],
      ['/ed25519', ed, 'v1a'],
    ] as const) {
      assert.deepEqual(await attemptStatuses(created.id, messageId, 1), [200], path);
      const [event] = events.get(path) ?? [];
      assert.equal(event?.id, messageId);
      assert.equal(event?.scheme, scheme);
      assert.deepEqual((event?.payload as { data?: unknown } | undefined)?.data, { order_id: 'o-every' });
    }
  });

  it('refuses a wrong secret and a stale timestamp with 401, an oversized body with 413, each recorded as the attempt', async () => {
    const wrong = await endpoint('/wrong-secret');
    receiver.mount('/wrong-secret', {
      secrets: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      onEvent: onEventAt('/wrong-secret'),
    });
    const stale = await endpoint('/stale');
    // This receiver's clock runs 10 minutes ahead, so every genuine timestamp looks stale to it.
    receiver.mount('/stale', {
      secrets: stale.secret as string,
      now: () => Date.now() + 600_000,
      onEvent: onEventAt('/stale'),
    });
    const small = await endpoint('/small');
    receiver.mount('/small', {
      secrets: small.secret as string,
      maxBodyBytes: 512,
      onEvent: onEventAt('/small'),
    });

    const messageId = await publish({ order_id: 'o-refused', filler: 'x'.repeat(1024) });
    assert.deepEqual(await attemptStatuses(wrong.id, messageId, 2), [401, 401]);
    assert.deepEqual(await attemptStatuses(stale.id, messageId, 2), [401, 401]);
    assert.deepEqual(await attemptStatuses(small.id, messageId, 2), [413, 413]);
    for (const path of ['/wrong-secret', '/stale', '/small']) assert.equal(events.get(path), undefined, path);
  });

  it('refuses a tampered body (401), a replayed id (duplicate, handler not run) and signed malformed JSON (400)', async () => {
    const created = await endpoint('/replays');
    const secret = created.secret as string;
    receiver.mount('/replays', { secrets: secret, onEvent: onEventAt('/replays') });
    const messageId = await publish({ order_id: 'o-replay' });
    await eventually(() => events.get('/replays')?.length === 1, { what: 'the genuine delivery' });
    const [genuine] = receiver.captured('/replays');
    assert.ok(genuine);
    assert.equal(genuine.headers['webhook-id'], messageId);

    const tampered = Buffer.from(genuine.body.toString().replace('o-replay', 'o-replaz'));
    assert.deepEqual(await receiver.send('/replays', genuine.headers, tampered), {
      status: 401,
      json: { error: 'invalid_signature' },
    });
    assert.deepEqual(await receiver.send('/replays', genuine.headers, genuine.body), {
      status: 200,
      json: { status: 'duplicate' },
    });
    const replayed = await server.admin('POST', `/admin/v1/webhook-messages/${messageId}/replay`, {
      body: {},
    });
    assert.equal(replayed.status, 200, replayed.text);
    assert.deepEqual(await attemptStatuses(created.id, messageId, 2), [200, 200]);
    assert.equal(events.get('/replays')?.length, 1, 'a replayed id never reaches the handler twice');

    const id = 'msg_malformed_1';
    const at = new Date();
    const notJson = '{"type":"order.paid",';
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, notJson),
    };
    assert.deepEqual(await receiver.send('/replays', headers, notJson), {
      status: 400,
      json: { error: 'malformed_json' },
    });
  });

  it('interoperates with the standardwebhooks package in both directions', async () => {
    const created = await endpoint('/interop');
    const secret = created.secret as string;
    receiver.mount('/interop', { secrets: secret, onEvent: onEventAt('/interop') });
    const messageId = await publish({ order_id: 'o-interop' });
    await eventually(() => events.get('/interop')?.length === 1, { what: 'the delivery' });
    const [delivered] = receiver.captured('/interop');
    assert.ok(delivered);
    const verified = new Webhook(secret).verify(delivered.body.toString(), delivered.headers) as {
      data: unknown;
    };
    assert.deepEqual(verified.data, { order_id: 'o-interop' });

    const id = 'msg_signed_by_standardwebhooks';
    const at = new Date();
    const body = JSON.stringify({ type: 'order.paid', data: { order_id: 'o-sw' } });
    const reply = await receiver.send(
      '/interop',
      {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, at, body),
      },
      body,
    );
    assert.deepEqual(reply, { status: 200, json: { status: 'accepted' } });
    assert.deepEqual(
      events.get('/interop')?.map((e) => e.id),
      [messageId, id],
    );
  });
});
