import type { Command } from 'commander';
import type { ApiKey } from '../keys/api-key.ts';
import {
  addListCommand,
  addRevokeCommand,
  addRotateCommand,
  addShowCommand,
  ENVIRONMENT_FILTER,
  INTEGRATOR_FILTER,
  secretLines,
} from './credential-commands.ts';
import { collect, print, record, runWithClient } from './output.ts';

type Issued = ApiKey & { key: string };
const COLUMNS = ['id', 'name', 'environment', 'status', 'scopes', 'integrator_id', 'last_used_at'];
const ONE_TIME_NOTICE = 'Store this key now: it is shown only once.';

/** `gatehouse keys …`: manage API keys through the admin API. */
export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys through the admin API');

  keys
    .command('create')
    .description('create an API key; prints the secret once')
    .requiredOption('--integrator <id>', 'integrator that owns the key')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--environment <env>', 'production or sandbox', 'sandbox')
    .option('--scope <scope>', 'a scope (repeatable)', collect)
    .option('--allow-ip <cidr>', 'an allowed address or CIDR range (repeatable)', collect)
    .option('--expires-at <time>', 'ISO 8601 expiry')
    .option('--owner <owner>', 'person or team responsible')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const body: Record<string, unknown> = {
          integrator_id: options.integrator,
          name: options.name,
          environment: options.environment,
          scopes: options.scope ?? [],
          allowed_ips: options.allowIp ?? [],
        };
        if (options.expiresAt) body.expires_at = options.expiresAt;
        if (options.owner) body.owner = options.owner;
        const issued = await client.call<Issued>('POST', '/admin/v1/keys', body);
        print(issued, options, () => `${record(summary(issued))}\n\nkey  ${issued.key}\n${ONE_TIME_NOTICE}`);
      }),
    );

  addListCommand(keys, {
    description: 'list API keys, newest first',
    path: '/admin/v1/keys',
    columns: COLUMNS,
    filters: [
      INTEGRATOR_FILTER('keys'),
      ENVIRONMENT_FILTER,
      { flag: '--status <status>', help: 'active or revoked', param: 'status' },
    ],
    limit: { option: '50' },
  });
  addShowCommand(keys, {
    description: 'show one API key (never its secret)',
    path: '/admin/v1/keys',
    summary,
  });
  addRotateCommand<Issued>(keys, {
    command: 'rotate <id>',
    description: 'issue a new secret; the current one keeps working for the overlap',
    overlapHelp: 'how long the current secret keeps working',
    path: (id) => `/admin/v1/keys/${id}/rotate`,
    text: (issued) => `${record(summary(issued))}\n\nnew key  ${issued.key}\n${ONE_TIME_NOTICE}`,
  });
  addRevokeCommand(keys, {
    description: 'revoke an API key at once',
    path: '/admin/v1/keys',
    withReason: true,
    summary,
  });
}

function summary(key: ApiKey): Record<string, unknown> {
  return {
    id: key.id,
    name: key.name,
    integrator: key.integrator_id,
    environment: key.environment,
    status: key.status,
    scopes: key.scopes,
    allowed_ips: key.allowed_ips,
    expires_at: key.expires_at,
    secrets: secretLines(key.secrets, 'revoked'),
    last_used_at: key.last_used_at,
    created_at: key.created_at,
  };
}
