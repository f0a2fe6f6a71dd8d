import type { Command } from 'commander';
import type { OAuthClient } from '../oauth/oauth-client.ts';
import type { SigningKeySummary } from '../oauth/signing-keys.ts';
import {
  addListCommand,
  addRevokeCommand,
  addRotateCommand,
  addShowCommand,
  INTEGRATOR_FILTER,
  secretLines,
} from './credential-commands.ts';
import { collect, print, record, runWithClient, table } from './output.ts';

type Issued = OAuthClient & { client_secret: string };
const ONE_TIME_NOTICE = 'Store this secret now: it is shown only once.';

/** `gatehouse clients …` and `gatehouse signing-keys …`: OAuth clients and token signing keys. */
export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('manage OAuth clients (client credentials grant)');

  clients
    .command('create')
    .description('create an OAuth client; prints the client secret once')
    .requiredOption('--integrator <id>', 'integrator that owns the client')
    .requiredOption('--name <name>', 'what the client is for')
    .option('--environment <env>', 'production or sandbox', 'sandbox')
    .option('--scope <scope>', 'a scope the client may request (repeatable)', collect)
    .option('--allow-ip <cidr>', 'an allowed address or CIDR range (repeatable)', collect)
    .option('--token-ttl <seconds>', 'access token lifetime', '3600')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const issued = await client.call<Issued>('POST', '/admin/v1/clients', {
          integrator_id: options.integrator,
          name: options.name,
          environment: options.environment,
          scopes: options.scope ?? [],
          allowed_ips: options.allowIp ?? [],
          token_ttl_seconds: Number(options.tokenTtl),
        });
        print(
          issued,
          options,
          () => `${record(summary(issued))}\n\nclient_secret  ${issued.client_secret}\n${ONE_TIME_NOTICE}`,
        );
      }),
    );

  addListCommand(clients, {
    description: 'list OAuth clients, newest first',
    path: '/admin/v1/clients',
    columns: ['client_id', 'name', 'environment', 'status', 'scopes', 'last_used_at'],
    filters: [INTEGRATOR_FILTER('clients')],
    limit: { fixed: '200' },
  });
  addShowCommand(clients, {
    description: 'show one OAuth client (never its secret)',
    path: '/admin/v1/clients',
    summary,
  });
  addRotateCommand<Issued>(clients, {
    command: 'rotate-secret <id>',
    description: 'issue a new client secret; the current one keeps working for the overlap',
    overlapHelp: 'how long the current secret keeps working',
    path: (id) => `/admin/v1/clients/${id}/rotate-secret`,
    text: (issued) =>
      `${record(summary(issued))}\n\nnew client_secret  ${issued.client_secret}\n${ONE_TIME_NOTICE}`,
  });
  addRevokeCommand(clients, {
    description: 'revoke a client and every token it holds',
    path: '/admin/v1/clients',
    withReason: false,
    summary,
  });

  const signingKeys = program.command('signing-keys').description('access token signing keys');

  signingKeys
    .command('list')
    .description('list signing keys')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const page = await client.call<{ data: SigningKeySummary[] }>('GET', '/admin/v1/signing-keys');
        const columns = ['kid', 'status', 'created_at', 'retired_at', 'unpublished_at'];
        print(page, options, () => table(page.data as unknown as Record<string, unknown>[], columns));
      }),
    );

  signingKeys
    .command('rotate')
    .description('sign new tokens with a new key; the old one stays published until its tokens expire')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const key = await client.call<SigningKeySummary>('POST', '/admin/v1/signing-keys/rotate', {});
        print(key, options, () => record({ ...key }));
      }),
    );
}

function summary(client: OAuthClient): Record<string, unknown> {
  return {
    client_id: client.client_id,
    name: client.name,
    integrator: client.integrator_id,
    environment: client.environment,
    status: client.status,
    scopes: client.scopes,
    allowed_ips: client.allowed_ips,
    token_ttl_seconds: client.token_ttl_seconds,
    secrets: secretLines(client.secrets, 'revoked'),
    last_used_at: client.last_used_at,
    created_at: client.created_at,
  };
}
