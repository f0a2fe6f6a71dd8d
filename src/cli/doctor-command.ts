import type { Command } from 'commander';
import { ConfigError } from '../config/config.ts';
import { createLogger } from '../log/logger.ts';
import { checkConfiguration } from '../ops/checklist.ts';
import { type ChecklistReport, type CheckResult, reportOf } from '../ops/checklist-report.ts';
import { loadConfig } from '../server/config.ts';
import { AdminApiError, createAdminClient } from './admin-client.ts';
import { print, run, table } from './output.ts';

interface DoctorOptions {
  json?: boolean;
  offline?: boolean;
}

/**
 * `gatehouse doctor [--json] [--offline]` (O1): this shell's configuration checked as `serve` would
 * read it, then the running server's own checklist through the admin API; exit 1 on any failure.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      "check this deployment against the security checklist: the configuration in this shell's environment, then the running server (exit 1 on a failure)",
    )
    .option('--offline', 'check the configuration only; do not ask the running server')
    .option('--json', 'print JSON')
    .action((options: DoctorOptions) =>
      run(async () => {
        const configuration = await checkLocalConfiguration();
        const server = options.offline ? null : await askServer();
        const failed = [configuration, server].some((report) => report?.status === 'fail');
        const status = failed
          ? 'fail'
          : [configuration, server].some((r) => r?.status === 'warn')
            ? 'warn'
            : 'pass';
        print({ status, configuration, server }, options, () => describe(configuration, server));
        if (failed) process.exitCode = 1;
      }),
    );
}

async function checkLocalConfiguration(): Promise<ChecklistReport> {
  try {
    return await checkConfiguration(loadConfig(process.env), createLogger);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return reportOf([
      failure('config_valid', 'The configuration loads', error.problems.join('; '), 'fix each setting named'),
    ]);
  }
}

async function askServer(): Promise<ChecklistReport> {
  let client: ReturnType<typeof createAdminClient> | undefined;
  try {
    client = createAdminClient(process.env);
    return await client.call<ChecklistReport>('GET', '/admin/v1/checklist');
  } catch (error) {
    const reason =
      error instanceof AdminApiError
        ? `${error.message} (${error.code}, HTTP ${error.status})`
        : ((error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error)));
    return reportOf([
      failure(
        'server_reachable',
        'The running server answers its checklist',
        `the admin API did not answer: ${reason}`,
        'start Gatehouse, or set GATEHOUSE_ADMIN_URL, GATEHOUSE_ADMIN_TOKEN and GATEHOUSE_CA_FILE; --offline checks the configuration only',
      ),
    ]);
  } finally {
    await client?.close();
  }
}

function failure(id: string, title: string, detail: string, fix: string): CheckResult {
  return { id, title, status: 'fail', detail, fix };
}

function describe(configuration: ChecklistReport, server: ChecklistReport | null): string {
  const rows = (report: ChecklistReport) =>
    report.checks.map((check) => ({
      status: check.status.toUpperCase(),
      check: check.id,
      detail: check.detail,
      fix: check.fix,
    }));
  const columns = ['status', 'check', 'detail', 'fix'];
  const parts = [`Configuration (this shell's environment):\n${table(rows(configuration), columns)}`];
  if (server !== null) parts.push(`Running server:\n${table(rows(server), columns)}`);
  const all = [...configuration.checks, ...(server?.checks ?? [])];
  const count = (status: string) => all.filter((check) => check.status === status).length;
  parts.push(`${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`);
  return parts.join('\n\n');
}
