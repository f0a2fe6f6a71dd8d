import type { Command } from 'commander';
import { ADMIN_ROLES, type AdminRole } from '../admin/admin-token.ts';
import { withLocalServices } from './local-services.ts';
import { print, record, run } from './output.ts';

/** `gatehouse admin token create`: mints an admin token directly in storage (bootstrap, recovery). */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('administer Gatehouse itself');
  const token = admin.command('token').description('admin tokens');

  token
    .command('create')
    .description('create an admin token in the local database; prints the secret once')
    .requiredOption('--name <name>', 'who or what will use it')
    .option('--role <role>', `one of ${ADMIN_ROLES.join(', ')}`, 'admin')
    .option('--json', 'print JSON')
    .action((options) =>
      run(() =>
        withLocalServices(async ({ adminTokens }) => {
          if (!ADMIN_ROLES.includes(options.role))
            throw new Error(`--role must be one of ${ADMIN_ROLES.join(', ')}`);
          const user = process.env.USER ?? 'local operator';
          const { token: created, secret } = await adminTokens.create(
            { name: options.name, role: options.role as AdminRole, source: 'cli' },
            { actor: { type: 'cli', id: null, name: user } },
          );
          print(
            { ...created, token: secret },
            options,
            () =>
              `${record({ ...created })}\n\ntoken  ${secret}\nStore this token now: it is shown only once.`,
          );
        }),
      ),
    );
}
