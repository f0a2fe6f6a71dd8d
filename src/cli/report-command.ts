import { type Command, Option } from 'commander';
import { accessReviewCsv } from '../access-review/access-csv.ts';
import type { AccessReviewReport } from '../access-review/access-review.ts';
import { print, runWithClient, table } from './output.ts';
import { printable } from './printable.ts';

const CREDENTIAL_COLUMNS = [
  'credential_type',
  'name',
  'id',
  'environment',
  'integrator_name',
  'scopes',
  'status',
  'age_days',
  'rotation_due',
  'days_since_last_use',
  'unused',
  'ips_seen',
];
const ADMIN_COLUMNS = ['name', 'id', 'role', 'status', 'last_used_at', 'days_since_last_use', 'unused'];

/** `gatehouse report access`: the access review (K9) as a table, JSON or CSV. */
export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('reports for reviews and audits');
  report
    .command('access')
    .description('every usable credential and admin token: scopes or role, owner, age, last use, addresses')
    .addOption(
      new Option('--format <format>', 'table, json or csv')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .option('--json', 'print JSON (the same as --format json)')
    .action((options: { format: 'table' | 'json' | 'csv'; json?: boolean }) =>
      runWithClient(async (client) => {
        const review = await client.call<AccessReviewReport>('GET', '/admin/v1/reports/access-review');
        if (options.format === 'csv' && !options.json) {
          process.stdout.write(accessReviewCsv(review));
          return;
        }
        print(review, { json: options.json || options.format === 'json' }, () => renderAccessReview(review));
      }),
    );
}

function renderAccessReview(review: AccessReviewReport): string {
  const safe = (row: object) =>
    Object.fromEntries(
      Object.entries(row).map(([field, value]) => [
        field,
        typeof value === 'string' ? printable(value) : value,
      ]),
    );
  const due = review.data.filter((entry) => entry.rotation_due).length;
  const unused = review.data.filter((entry) => entry.unused).length;
  return [
    `Access review generated ${review.generated_at} (rotation age ${review.policy.rotation_age_days} days, unused after ${review.policy.unused_after_days} days)`,
    '',
    'Credentials:',
    table(review.data.map(safe), CREDENTIAL_COLUMNS),
    '',
    'Admin tokens:',
    table(review.admin_tokens.map(safe), ADMIN_COLUMNS),
    '',
    `${review.data.length} credentials (${due} rotation due, ${unused} unused), ${review.admin_tokens.length} admin tokens.`,
  ].join('\n');
}
