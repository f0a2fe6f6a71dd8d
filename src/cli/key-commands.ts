import type { Command } from 'commander';
import type { Page } from '../http/pagination.ts';
import type { ApiKey } from '../keys/api-key.ts';
import { collect, print, record, runWithClient, table } from './output.ts';

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

  keys
    .command('list')
    .description('list API keys, newest first')
    .option('--integrator <id>', 'only this integrator’s keys')
    .option('--environment <env>', 'production or sandbox')
    .option('--status <status>', 'active or revoked')
    .option('--limit <n>', 'page size', '50')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.integrator) query.set('integrator_id', options.integrator);
        if (options.environment) query.set('environment', options.environment);
        if (options.status) query.set('status', options.status);
        const page = await client.call<Page<ApiKey>>('GET', `/admin/v1/keys?${query}`);
        print(page, options, () => table(page.data as unknown as Record<string, unknown>[], COLUMNS));
      }),
    );

  keys
    .command('show <id>')
    .description('show one API key (never its secret)')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const key = await client.call<ApiKey>('GET', `/admin/v1/keys/${encodeURIComponent(id)}`);
        print(key, options, () => record(summary(key)));
      }),
    );

  keys
    .command('rotate <id>')
    .description('issue a new secret; the current one keeps working for the overlap')
    .option('--overlap <seconds>', 'how long the current secret keeps working', '86400')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const issued = await client.call<Issued>('POST', `/admin/v1/keys/${encodeURIComponent(id)}/rotate`, {
          overlap_seconds: Number(options.overlap),
        });
        print(
          issued,
          options,
          () => `${record(summary(issued))}\n\nnew key  ${issued.key}\n${ONE_TIME_NOTICE}`,
        );
      }),
    );

  keys
    .command('revoke <id>')
    .description('revoke an API key at once')
    .option('--reason <text>', 'why, for the audit trail')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const key = await client.call<ApiKey>(
          'POST',
          `/admin/v1/keys/${encodeURIComponent(id)}/revoke`,
          options.reason ? { reason: options.reason } : {},
        );
        print(key, options, () => record(summary(key)));
      }),
    );
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
    secrets: key.secrets.map((s) => `${s.hint} (until ${s.expires_at ?? 'revoked'})`),
    last_used_at: key.last_used_at,
    created_at: key.created_at,
  };
}
