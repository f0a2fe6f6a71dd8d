import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { isUuid } from '../../src/db/uuid7.ts';
import { recordSecret } from '../support/artifacts.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('admin API: event types, webhook endpoints and the publish API', () => {
  let server: TestServer;
  let integratorId: string;

  before(async () => {
    server = await startTestServer({ name: 'webhooks-admin', env: { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1' } });
    integratorId = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Umbrella' } })).json
      .id;
  });
  after(() => server.close());

  const createType = (name: string, schema: unknown = { type: 'object', required: ['id'] }) =>
    server.admin('POST', '/admin/v1/event-types', { body: { name, schema } });
  const createEndpoint = async (extra: Record<string, unknown> = {}) => {
    const response = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: integratorId,
        environment: 'sandbox',
        url: 'https://127.0.0.1:9/hooks',
        event_types: ['invoice.paid'],
        ...extra,
      },
    });
    if (typeof response.json?.secret === 'string') recordSecret(response.json.secret);
    return response;
  };

  it('declares event types with a JSON Schema; a bad schema or a taken name is refused', async () => {
    const created = await createType('invoice.paid', {
      type: 'object',
      properties: { id: { type: 'string' }, amount: { type: 'integer' } },
      required: ['id'],
      additionalProperties: false,
    });
    assert.equal(created.status, 201, created.text);
    assert.ok(isUuid(created.json.id));
    assert.equal(created.headers.location, `/admin/v1/event-types/${created.json.id}`);
    assert.equal(created.headers.etag, '"v1"');

    const taken = await createType('invoice.paid');
    assert.equal(taken.status, 409);
    assert.equal(taken.json.code, 'event_type_exists');

    const badSchema = await createType('invoice.voided', { type: 'no-such-type' });
    assert.equal(badSchema.status, 400);
    assert.ok(badSchema.json.errors.every((e: { field: string }) => e.field.startsWith('/schema')));

    const badName = await createType('invoice paid!');
    assert.equal(badName.status, 400);
    assert.equal(badName.json.errors[0].field, '/name');

    const listed = await server.admin('GET', '/admin/v1/event-types?name=invoice.paid');
    assert.equal(listed.json.data.length, 1);
  });

  it('replacing an event type needs the whole object, keeps its name, and catches concurrent edits', async () => {
    const { json: type } = await createType('shipment.sent');
    const partial = await server.admin('PUT', `/admin/v1/event-types/${type.id}`, {
      body: { description: 'x' },
    });
    assert.equal(partial.status, 400);
    assert.deepEqual(
      partial.json.errors.map((e: { field: string }) => e.field),
      ['/schema'],
    );
    const renamed = await server.admin('PUT', `/admin/v1/event-types/${type.id}`, {
      body: { ...type, name: 'shipment.lost' },
    });
    assert.equal(renamed.status, 400);
    assert.equal(renamed.json.errors[0].field, '/name');
    const replaced = await server.admin('PUT', `/admin/v1/event-types/${type.id}`, {
      body: { ...type, description: 'A shipment left the warehouse' },
      headers: { 'if-match': '"v1"' },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.headers.etag, '"v2"');
    const stale = await server.admin('PUT', `/admin/v1/event-types/${type.id}`, {
      body: { ...type, description: 'lost update' },
      headers: { 'if-match': '"v1"' },
    });
    assert.equal(stale.status, 412);
  });

  it('creating an endpoint returns its id and one-time secret; reading or listing it never shows the secret', async () => {
    const created = await createEndpoint({ description: 'billing sync', metadata: { team: 'billing' } });
    assert.equal(created.status, 201, created.text);
    assert.ok(isUuid(created.json.id));
    assert.equal(created.headers.location, `/admin/v1/webhook-endpoints/${created.json.id}`);
    assert.equal(created.headers.etag, '"v1"');
    assert.equal(created.json.signing_scheme, 'standard');
    assert.equal(created.json.enabled, true);
    assert.equal(created.json.signature_header, null);
    assert.equal(created.json.secrets.length, 1);
    const secret = created.json.secret as string;
    assert.ok(secret.startsWith('whsec_'));
    assert.ok(created.json.secrets[0].hint.startsWith(secret.slice(0, 8)));

    const read = await server.admin('GET', `/admin/v1/webhook-endpoints/${created.json.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.json.secret, undefined);
    assert.ok(!read.text.includes(secret.slice(6)));
    const listed = await server.admin(
      'GET',
      `/admin/v1/webhook-endpoints?integrator_id=${integratorId}&limit=200`,
    );
    assert.ok(!listed.text.includes(secret.slice(6)));
    assert.ok(listed.json.data.some((e: { id: string }) => e.id === created.json.id));
    const audit = await server.admin('GET', `/admin/v1/audit?target_id=${created.json.id}`);
    assert.equal(audit.json.data[0].action, 'webhook_endpoint.create');
    assert.ok(!audit.text.includes(secret.slice(6)));
  });

  it('refuses unknown event types, an unknown integrator and a signature header outside the simple scheme', async () => {
    const unknownType = await createEndpoint({ event_types: ['invoice.paid', 'no.such.type'] });
    assert.equal(unknownType.status, 400);
    assert.deepEqual(
      unknownType.json.errors.map((e: { field: string }) => e.field),
      ['/event_types/1'],
    );
    const unknownIntegrator = await createEndpoint({ integrator_id: '01900000-0000-7000-8000-000000000000' });
    assert.equal(unknownIntegrator.status, 400);
    assert.equal(unknownIntegrator.json.errors[0].field, '/integrator_id');
    const header = await createEndpoint({ signature_header: 'X-Signature' });
    assert.equal(header.status, 400);
    assert.equal(header.json.errors[0].field, '/signature_header');
    const reserved = await createEndpoint({ signing_scheme: 'simple', signature_header: 'Content-Type' });
    assert.equal(reserved.status, 400);
    const simple = await createEndpoint({ signing_scheme: 'simple' });
    assert.equal(simple.status, 201);
    assert.equal(simple.json.signature_header, 'X-Webhook-Signature');
    const unknownScheme = await createEndpoint({ signing_scheme: 'md5' });
    assert.equal(unknownScheme.status, 400);
  });

  it('PUT replaces the whole endpoint, refuses changes to fixed fields and stale If-Match', async () => {
    const { json: created } = await createEndpoint();
    const { secret: _secret, ...current } = created;
    const partial = await server.admin('PUT', `/admin/v1/webhook-endpoints/${created.id}`, {
      body: { url: current.url },
    });
    assert.equal(partial.status, 400);
    const missing = partial.json.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(missing, ['/description', '/enabled', '/event_types', '/metadata', '/signature_header']);

    const fixed = await server.admin('PUT', `/admin/v1/webhook-endpoints/${created.id}`, {
      body: { ...current, signing_scheme: 'ed25519', environment: 'production' },
    });
    assert.equal(fixed.status, 400);
    assert.deepEqual(
      fixed.json.errors.map((e: { field: string }) => e.field),
      ['/environment', '/signing_scheme'],
    );

    const disabled = await server.admin('PUT', `/admin/v1/webhook-endpoints/${created.id}`, {
      body: { ...current, enabled: false, description: 'paused' },
      headers: { 'if-match': '"v1"' },
    });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.json.enabled, false);
    assert.equal(disabled.json.disabled_reason, 'disabled_by_admin');
    assert.equal(disabled.headers.etag, '"v2"');
    const stale = await server.admin('PUT', `/admin/v1/webhook-endpoints/${created.id}`, {
      body: { ...current, enabled: true },
      headers: { 'if-match': '"v1"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.json.code, 'precondition_failed');
    const audit = await server.admin('GET', `/admin/v1/audit?target_id=${created.id}`);
    assert.equal(audit.json.data[0].action, 'webhook_endpoint.disable');
  });

  it('pages through endpoints newest first without repeats', async () => {
    for (let i = 0; i < 3; i++) await createEndpoint({ description: `page ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await server.admin('GET', `/admin/v1/webhook-endpoints?limit=2${query}`);
      assert.equal(page.status, 200);
      seen.push(...page.json.data.map((e: { id: string }) => e.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    assert.deepEqual(seen, [...seen].sort().reverse());
  });

  it('publishing validates data against the schema and names the bad fields', async () => {
    const publish = (body: Record<string, unknown>) =>
      server.admin('POST', '/admin/v1/events', {
        body: { type: 'invoice.paid', integrator_id: integratorId, environment: 'sandbox', ...body },
      });
    const wrong = await publish({ data: { id: 7, extra: true } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.code, 'validation_failed');
    assert.deepEqual(wrong.json.errors.map((e: { field: string }) => e.field).sort(), [
      '/data/extra',
      '/data/id',
    ]);
    const unknownType = await publish({ type: 'nope.nope', data: {} });
    assert.equal(unknownType.status, 400);
    assert.equal(unknownType.json.errors[0].field, '/type');
    const noData = await server.admin('POST', '/admin/v1/events', {
      body: { type: 'invoice.paid', integrator_id: integratorId, environment: 'sandbox' },
    });
    assert.equal(noData.status, 400);
    assert.equal(noData.json.errors[0].field, '/data');
    const unknownIntegrator = await publish({
      integrator_id: '01900000-0000-7000-8000-000000000000',
      data: { id: 'x' },
    });
    assert.equal(unknownIntegrator.status, 400);
    assert.equal(unknownIntegrator.json.errors[0].field, '/integrator_id');
    const malformed = await server.admin('POST', '/admin/v1/events', {
      body: '{"type":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.code, 'malformed_json');
  });

  it('publishing for a disabled integrator is 403 integrator_disabled, the status the gateway answers it with', async () => {
    const disabled = await server.admin('POST', '/admin/v1/integrators', {
      body: { name: 'Dormant publisher', status: 'disabled' },
    });
    assert.equal(disabled.status, 201, disabled.text);
    const refused = await server.admin('POST', '/admin/v1/events', {
      body: {
        type: 'invoice.paid',
        integrator_id: disabled.json.id,
        environment: 'sandbox',
        data: { id: 'x' },
      },
    });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.code, 'integrator_disabled');
  });

  it('a retried publish with the same Idempotency-Key creates one message', async () => {
    const send = () =>
      server.admin('POST', '/admin/v1/events', {
        body: {
          type: 'invoice.paid',
          integrator_id: integratorId,
          environment: 'sandbox',
          data: { id: 'inv-1' },
        },
        headers: { 'idempotency-key': 'publish-inv-1' },
      });
    const first = await send();
    const second = await send();
    assert.equal(first.status, 201, first.text);
    assert.equal(second.status, 201);
    assert.equal(second.json.id, first.json.id);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const message = await server.admin('GET', `/admin/v1/webhook-messages/${first.json.id}`);
    assert.equal(message.status, 200);
    assert.deepEqual(message.json.payload.data, { id: 'inv-1' });
    assert.equal(message.json.payload.type, 'invoice.paid');
    const listed = await server.admin(
      'GET',
      `/admin/v1/webhook-messages?integrator_id=${integratorId}&type=invoice.paid`,
    );
    assert.equal(listed.json.data.filter((m: { id: string }) => m.id === first.json.id).length, 1);
  });

  it('an auditor can read webhooks but neither publish nor change endpoints', async () => {
    const token = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'auditor', role: 'auditor' },
    });
    assert.equal(token.status, 201, token.text);
    const auditor = token.json.token as string;
    assert.equal((await server.admin('GET', '/admin/v1/webhook-endpoints', { token: auditor })).status, 200);
    assert.equal((await server.admin('GET', '/admin/v1/webhook-deliveries', { token: auditor })).status, 200);
    const publish = await server.admin('POST', '/admin/v1/events', {
      token: auditor,
      body: { type: 'invoice.paid', integrator_id: integratorId, environment: 'sandbox', data: { id: 'x' } },
    });
    assert.equal(publish.status, 403);
    const anonymous = await server.admin('GET', '/admin/v1/webhook-endpoints', {
      token: recordSecret(generateCredential('gate', 'admin')),
    });
    assert.equal(anonymous.status, 401);
  });

  it('the OpenAPI document describes the webhook resources', async () => {
    const openapi = await server.admin('GET', '/admin/v1/openapi.json', { token: null });
    assert.equal(openapi.status, 200);
    for (const path of [
      '/admin/v1/event-types',
      '/admin/v1/webhook-endpoints/{id}/rotate-secret',
      '/admin/v1/events',
      '/admin/v1/webhook-deliveries/{id}/attempts',
      '/admin/v1/webhook-messages/{id}/replay',
    ]) {
      assert.ok(openapi.json.paths[path], `${path} is not documented`);
    }
  });

  it('unknown ids are 404 problems, malformed ids 400', async () => {
    const missing = await server.admin(
      'GET',
      '/admin/v1/webhook-endpoints/01900000-0000-7000-8000-000000000000',
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'not_found');
    const malformed = await server.admin('GET', '/admin/v1/webhook-deliveries/not-a-uuid/attempts');
    assert.equal(malformed.status, 400);
    const replay = await server.admin(
      'POST',
      '/admin/v1/webhook-messages/01900000-0000-7000-8000-000000000000/replay',
      {
        body: {},
      },
    );
    assert.equal(replay.status, 404);
  });
});
