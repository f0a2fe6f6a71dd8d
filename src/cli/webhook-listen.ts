import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { nodeHttpWebhookHandler, type WebhookReceipt } from '../../packages/client/src/webhooks/index.ts';
import type { Page } from '../http/pagination.ts';
import { ensureDevelopmentCertificate } from '../tls/development-certificate.ts';
import type { EventType } from '../webhooks/event-type.ts';
import type { WebhookEndpoint } from '../webhooks/webhook-endpoint.ts';
import { type AdminClient, createAdminClient } from './admin-client.ts';
import { collect, run } from './output.ts';

const LISTEN_DESCRIPTION = 'gatehouse webhooks listen (development)';

interface ListenOptions {
  integrator: string;
  environment: string;
  eventType?: string[];
  scheme: string;
  port: string;
  json?: boolean;
}

type Issued = WebhookEndpoint & { secret: string | null };

/** `gatehouse webhooks listen`: a local HTTPS receiver for development, like `stripe listen`. */
export function registerListenCommand(webhooks: Command): void {
  webhooks
    .command('listen')
    .description(
      'receive this integrator’s webhooks on a local HTTPS receiver and print each one (Ctrl-C stops)',
    )
    .requiredOption('--integrator <id>', 'integrator whose events to receive')
    .option('--environment <env>', 'production or sandbox', 'sandbox')
    .option('--event-type <type>', 'an event type to receive (repeatable; default every type)', collect)
    .option('--scheme <scheme>', 'standard, simple or ed25519 (for a new endpoint)', 'standard')
    .option('--port <port>', 'local port (default: any free one)', '0')
    .option('--json', 'print one JSON receipt per line')
    .action((options: ListenOptions) => run(() => listen(options)));
}

async function listen(options: ListenOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0-65535');
  const client = createAdminClient(process.env);
  const dataDir = resolve(process.env.GATEHOUSE_DATA_DIR ?? './data');
  const tls = await ensureDevelopmentCertificate(dataDir);
  let endpointId: string | undefined;
  const server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
  try {
    await new Promise<void>((ready, fail) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        fail(new Error(`cannot listen on 127.0.0.1:${options.port} (${error.code ?? 'error'})`)),
      );
      server.listen(port, '127.0.0.1', ready);
    });
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const eventTypes = options.eventType ?? (await allEventTypes(client));
    const { endpoint, secrets, signatureHeader } = await developmentEndpoint(
      client,
      options,
      url,
      eventTypes,
    );
    endpointId = endpoint.id;
    server.on(
      'request',
      nodeHttpWebhookHandler({
        secrets,
        ...(signatureHeader ? { signatureHeader } : {}),
        rateLimit: false,
        onEvent: () => {},
        logger: (receipt) =>
          process.stdout.write(`${options.json ? JSON.stringify(receipt) : line(receipt)}\n`),
      }),
    );
    process.stdout.write(
      `Listening on ${url} for endpoint ${endpoint.id} (${endpoint.environment}; ${eventTypes.join(', ')}).\n` +
        `Gatehouse must trust ${tls.caFile} (GATEHOUSE_WEBHOOK_CA_FILE) and allow loopback receivers (GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=1).\n` +
        'Ready. Press Ctrl-C to stop.\n',
    );
    await new Promise<void>((stop) => {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    server.closeAllConnections();
    server.close();
    // Gatehouse would keep retrying a receiver that is gone; the next `listen` enables it again.
    if (endpointId) await setEndpoint(client, endpointId, {}, false).catch(() => {});
    await client.close();
  }
  process.stdout.write('Stopped; the development endpoint is disabled until the next listen.\n');
}

function line(receipt: WebhookReceipt): string {
  const verdict =
    receipt.outcome === 'accepted' ? 'verified' : `refused (${receipt.outcome}, HTTP ${receipt.status})`;
  return `${receipt.at}  ${receipt.event_type ?? '-'}  ${receipt.webhook_id ?? '-'}  ${verdict}`;
}

async function allEventTypes(client: AdminClient): Promise<string[]> {
  const page = await client.call<Page<EventType>>('GET', '/admin/v1/event-types?limit=200');
  const names = page.data.map((type) => type.name);
  if (names.length === 0) throw new Error('the event catalog is empty: create an event type first');
  return names;
}

/**
 * The integrator's listen endpoint, created or pointed at this receiver. An existing endpoint's
 * HMAC secret was shown once and is gone, so it gets a new one at once (no overlap: development only).
 */
async function developmentEndpoint(
  client: AdminClient,
  options: ListenOptions,
  url: string,
  eventTypes: string[],
): Promise<{ endpoint: WebhookEndpoint; secrets: string; signatureHeader: string | null }> {
  const query = new URLSearchParams({
    integrator_id: options.integrator,
    environment: options.environment,
    limit: '200',
  });
  const page = await client.call<Page<WebhookEndpoint>>('GET', `/admin/v1/webhook-endpoints?${query}`);
  const existing = page.data.find((e) => e.description === LISTEN_DESCRIPTION);
  let endpoint: WebhookEndpoint;
  let secret: string | null;
  if (existing) {
    endpoint = await setEndpoint(client, existing.id, { url, event_types: eventTypes }, true);
    secret =
      endpoint.signing_scheme === 'ed25519'
        ? null
        : (
            await client.call<Issued>('POST', `/admin/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
              overlap_seconds: 0,
            })
          ).secret;
  } else {
    const issued = await client.call<Issued>('POST', '/admin/v1/webhook-endpoints', {
      integrator_id: options.integrator,
      environment: options.environment,
      url,
      event_types: eventTypes,
      signing_scheme: options.scheme,
      description: LISTEN_DESCRIPTION,
    });
    endpoint = issued;
    secret = issued.secret;
  }
  const secrets =
    endpoint.signing_scheme === 'ed25519' ? (endpoint.public_key as string) : (secret as string);
  return {
    endpoint,
    secrets,
    signatureHeader: endpoint.signing_scheme === 'simple' ? endpoint.signature_header : null,
  };
}

async function setEndpoint(
  client: AdminClient,
  id: string,
  changes: Partial<Pick<WebhookEndpoint, 'url' | 'event_types'>>,
  enabled: boolean,
): Promise<WebhookEndpoint> {
  const path = `/admin/v1/webhook-endpoints/${encodeURIComponent(id)}`;
  const current = await client.call<WebhookEndpoint>('GET', path);
  return client.call<WebhookEndpoint>('PUT', path, { ...current, ...changes, enabled });
}
