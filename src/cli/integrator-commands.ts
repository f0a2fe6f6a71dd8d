import type { Command } from 'commander';
import type { Page } from '../http/pagination.ts';
import type { Integrator } from '../integrators/integrator.ts';
import { print, record, runWithClient, table } from './output.ts';

/** `gatehouse integrators …`: the accounts that own credentials. */
export function registerIntegratorCommands(program: Command): void {
  const integrators = program.command('integrators').description('manage integrators (the API’s customers)');

  integrators
    .command('create')
    .description('create an integrator')
    .requiredOption('--name <name>', 'the customer’s name')
    .option('--email <email>', 'contact address')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const body = options.email ? { name: options.name, email: options.email } : { name: options.name };
        const integrator = await client.call<Integrator>('POST', '/admin/v1/integrators', body);
        print(integrator, options, () => record({ ...integrator }));
      }),
    );

  integrators
    .command('list')
    .description('list integrators, newest first')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const page = await client.call<Page<Integrator>>('GET', '/admin/v1/integrators?limit=200');
        print(page, options, () =>
          table(page.data as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'status',
            'email',
            'created_at',
          ]),
        );
      }),
    );
}
