import type { Command } from 'commander';
import type { Page } from '../http/pagination.ts';
import type { EventType } from '../webhooks/event-type.ts';
import type { WebhookEndpoint } from '../webhooks/webhook-endpoint.ts';
import type { WebhookAttempt, WebhookDelivery } from '../webhooks/webhook-message.ts';
import type { AdminClient } from './admin-client.ts';
import { collect, countOf, print, record, runWithClient, table } from './output.ts';
import { registerListenCommand } from './webhook-listen.ts';

type Issued = WebhookEndpoint & { secret: string | null };
const ENDPOINT_COLUMNS = [
  'id',
  'url',
  'environment',
  'enabled',
  'signing_scheme',
  'event_types',
  'integrator_id',
];
const DELIVERY_COLUMNS = [
  'id',
  'message_id',
  'endpoint_id',
  'status',
  'attempts',
  'last_status_code',
  'last_error',
  'next_attempt_at',
];
const ONE_TIME_NOTICE = 'Store this secret now: it is shown only once.';

/** `gatehouse webhooks …`: endpoints, deliveries, replay and secret rotation through the admin API. */
export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('webhook endpoints, deliveries and replays');
  registerListenCommand(webhooks);
  const endpoints = webhooks.command('endpoints').description('webhook endpoints (list by default)');

  endpoints
    .command('list', { isDefault: true })
    .description('list webhook endpoints, newest first')
    .option('--integrator <id>', 'only this integrator’s endpoints')
    .option('--environment <env>', 'production or sandbox')
    .option('--limit <n>', 'page size', '50')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.integrator) query.set('integrator_id', options.integrator);
        if (options.environment) query.set('environment', options.environment);
        const page = await client.call<Page<WebhookEndpoint>>('GET', `/admin/v1/webhook-endpoints?${query}`);
        print(page, options, () =>
          table(page.data as unknown as Record<string, unknown>[], ENDPOINT_COLUMNS),
        );
      }),
    );

  endpoints
    .command('show <id>')
    .description('show one endpoint (never its secret)')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const endpoint = await client.call<WebhookEndpoint>(
          'GET',
          `/admin/v1/webhook-endpoints/${encodeURIComponent(id)}`,
        );
        print(endpoint, options, () => record(summary(endpoint)));
      }),
    );

  endpoints
    .command('create')
    .description('register an endpoint; prints its signing secret once')
    .requiredOption('--integrator <id>', 'integrator that owns the endpoint')
    .requiredOption('--url <url>', 'https:// URL of the receiver')
    .requiredOption('--event-type <type>', 'an event type to receive (repeatable)', collect)
    .option('--environment <env>', 'production or sandbox', 'sandbox')
    .option('--scheme <scheme>', 'standard, simple or ed25519', 'standard')
    .option('--signature-header <name>', 'header of the simple scheme')
    .option('--description <text>', 'what the endpoint is for')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const body: Record<string, unknown> = {
          integrator_id: options.integrator,
          url: options.url,
          event_types: options.eventType,
          environment: options.environment,
          signing_scheme: options.scheme,
        };
        if (options.signatureHeader) body.signature_header = options.signatureHeader;
        if (options.description) body.description = options.description;
        const issued = await client.call<Issued>('POST', '/admin/v1/webhook-endpoints', body);
        print(issued, options, () => issuedText(issued));
      }),
    );

  webhooks
    .command('event-types')
    .description('list the event catalog')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const page = await client.call<Page<EventType>>('GET', '/admin/v1/event-types?limit=200');
        print(page, options, () =>
          table(page.data as unknown as Record<string, unknown>[], ['id', 'name', 'description', 'version']),
        );
      }),
    );

  webhooks
    .command('deliveries')
    .description('list deliveries, newest first')
    .option('--endpoint <id>', 'only this endpoint’s deliveries')
    .option('--message <id>', 'only this message’s deliveries')
    .option('--integrator <id>', 'only this integrator’s deliveries')
    .option('--status <status>', 'pending, succeeded or failed')
    .option('--limit <n>', 'page size', '50')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.endpoint) query.set('endpoint_id', options.endpoint);
        if (options.message) query.set('message_id', options.message);
        if (options.integrator) query.set('integrator_id', options.integrator);
        if (options.status) query.set('status', options.status);
        const page = await client.call<Page<WebhookDelivery>>('GET', `/admin/v1/webhook-deliveries?${query}`);
        print(page, options, () =>
          table(page.data as unknown as Record<string, unknown>[], DELIVERY_COLUMNS),
        );
      }),
    );

  webhooks
    .command('attempts <delivery-id>')
    .description('list every attempt of a delivery, newest first')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const page = await client.call<Page<WebhookAttempt>>(
          'GET',
          `/admin/v1/webhook-deliveries/${encodeURIComponent(id)}/attempts?limit=200`,
        );
        print(page, options, () =>
          table(page.data as unknown as Record<string, unknown>[], [
            'attempt',
            'started_at',
            'status_code',
            'duration_ms',
            'error',
          ]),
        );
      }),
    );

  webhooks
    .command('replay [message-id]')
    .description('deliver one message again, or (with --endpoint and --since) every failed one since a time')
    .option('--endpoint <id>', 'only to this endpoint; with --since: the endpoint whose failures to replay')
    .option('--since <time>', 'ISO 8601 time: replay the endpoint’s failed deliveries since then')
    .option('--json', 'print JSON')
    .action((messageId: string | undefined, options) =>
      runWithClient(async (client) => {
        const result = await replay(client, messageId, options);
        print(result, options, () => `${countOf(result.replayed, 'delivery', 'deliveries')} queued again`);
      }),
    );

  webhooks
    .command('rotate-secret <endpoint-id>')
    .description('issue a new signing secret; the current one keeps signing for the overlap')
    .option('--overlap <seconds>', 'how long both secrets sign', '86400')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const issued = await client.call<Issued>(
          'POST',
          `/admin/v1/webhook-endpoints/${encodeURIComponent(id)}/rotate-secret`,
          { overlap_seconds: Number(options.overlap) },
        );
        print(issued, options, () => issuedText(issued));
      }),
    );
}

async function replay(
  client: AdminClient,
  messageId: string | undefined,
  options: { endpoint?: string; since?: string },
): Promise<{ replayed: number }> {
  if (messageId !== undefined) {
    if (options.since) throw new Error('give either a message id or --endpoint with --since, not both');
    return client.call('POST', `/admin/v1/webhook-messages/${encodeURIComponent(messageId)}/replay`, {
      ...(options.endpoint ? { endpoint_id: options.endpoint } : {}),
    });
  }
  if (!options.endpoint || !options.since) {
    throw new Error('give a message id, or --endpoint <id> and --since <ISO time>');
  }
  const since = new Date(options.since);
  if (Number.isNaN(since.getTime())) throw new Error('--since must be an ISO 8601 time');
  return client.call('POST', `/admin/v1/webhook-endpoints/${encodeURIComponent(options.endpoint)}/replay`, {
    since: since.toISOString(),
  });
}

function issuedText(issued: Issued): string {
  const base = record(summary(issued));
  if (issued.secret) return `${base}\n\nsecret  ${issued.secret}\n${ONE_TIME_NOTICE}`;
  return `${base}\n\nReceivers verify v1a signatures with the public key above (no secret to store).`;
}

function summary(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    integrator: endpoint.integrator_id,
    environment: endpoint.environment,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabled_reason,
    event_types: endpoint.event_types,
    signing_scheme: endpoint.signing_scheme,
    signature_header: endpoint.signature_header,
    public_key: endpoint.public_key,
    secrets: endpoint.secrets.map((s) => `${s.hint} (until ${s.expires_at ?? 'rotated'})`),
    failing_since: endpoint.failing_since,
    created_at: endpoint.created_at,
  };
}
