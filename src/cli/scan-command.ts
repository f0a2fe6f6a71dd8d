import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { credentialSearchPattern, isValidPrefix } from '../crypto/key-format.ts';
import type { AdminClient } from './admin-client.ts';
import { type FileFinding, type ScanReport, scanPaths } from './credential-scanner.ts';
import { countOf, print, runWithClient } from './output.ts';

interface ScanOptions {
  prefix?: string;
  pattern?: boolean;
  json?: boolean;
  check?: boolean;
  revoke?: boolean;
  yes?: boolean;
}

/** What the server said of one found credential (`/admin/v1/credentials/check`, `/revoke-leaked`). */
interface ServerVerdict {
  status: 'live' | 'revoked' | 'unknown';
  credential_id: string | null;
  revoked?: boolean;
}

/** `GATEHOUSE_KEY_PREFIX`'s default. */
const DEFAULT_PREFIX = 'gate';

/** The server takes at most this many secrets per call. */
const BATCH = 100;

/**
 * `gatehouse scan [paths…]`: finds Gatehouse credentials in files, for CI and pre-commit hooks
 * (O2). Exit 0 when none is found, 1 when any is, 2 when a path cannot be read. The output names
 * the place and a short hint of each credential, never the credential.
 */
export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('find Gatehouse credentials in files (exit 1 if any is found)')
    .argument('[paths...]', 'files or directories to scan', ['.'])
    .option('--prefix <prefix>', "only this deployment's credentials (GATEHOUSE_KEY_PREFIX)")
    .option(
      '--pattern',
      "print the regular expression of this deployment's credentials (for a code host's secret scanning)",
    )
    .option('--check', 'ask the running server whether each found credential is live (admin API)')
    .option('--revoke', 'revoke every live one as leaked (implies --check; asks first on a terminal)')
    .option('--yes', 'revoke without asking (scripts, CI)')
    .option('--json', 'print JSON')
    .action(async (paths: string[], options: ScanOptions) => {
      const prefix = options.prefix ?? process.env.GATEHOUSE_KEY_PREFIX;
      if (prefix !== undefined && !isValidPrefix(prefix)) {
        process.stderr.write(
          `error: "${prefix}" is not a credential prefix (lower-case letters and digits)\n`,
        );
        process.exitCode = 2;
        return;
      }
      if (options.pattern) {
        print(
          { pattern: credentialSearchPattern(prefix ?? DEFAULT_PREFIX).source },
          options,
          () => credentialSearchPattern(prefix ?? DEFAULT_PREFIX).source,
        );
        return;
      }
      const secrets = new Map<FileFinding, string>();
      const report = await scanPaths(paths, prefix, (finding, secret) => secrets.set(finding, secret));
      for (const { path, reason } of report.unreadable)
        process.stderr.write(`error: cannot read ${path} (${reason})\n`);
      const exitCode = report.unreadable.length > 0 ? 2 : report.findings.length > 0 ? 1 : 0;
      if (!options.check && !options.revoke) {
        print(report, options, () => describe(report));
        process.exitCode = exitCode;
        return;
      }
      await runWithClient(async (client) => {
        const verdicts = await askServer(client, secrets, options);
        if (verdicts === null) return;
        const findings = report.findings.map((finding) => ({ ...finding, ...verdicts.get(finding) }));
        print({ ...report, findings }, options, () => describeChecked(report, findings));
        process.exitCode = exitCode;
      });
    });
}

/**
 * Sends each distinct found secret once, in request bodies of at most `BATCH`; with `--revoke`, after
 * the operator agreed, the live ones are revoked. Null when the operator declined.
 */
async function askServer(
  client: AdminClient,
  secrets: ReadonlyMap<FileFinding, string>,
  options: ScanOptions,
): Promise<Map<FileFinding, ServerVerdict> | null> {
  const distinct = [...new Set(secrets.values())];
  const verdictOf = new Map<string, ServerVerdict>();
  const ask = async (path: string, batch: string[]) => {
    const { results } = await client.call<{ results: ServerVerdict[] }>('POST', path, { credentials: batch });
    batch.forEach((secret, i) => {
      const { status, credential_id, revoked } = results[i] as ServerVerdict;
      verdictOf.set(
        secret,
        revoked === undefined ? { status, credential_id } : { status, credential_id, revoked },
      );
    });
  };
  for (let i = 0; i < distinct.length; i += BATCH)
    await ask('/admin/v1/credentials/check', distinct.slice(i, i + BATCH));
  const live = distinct.filter((secret) => verdictOf.get(secret)?.status === 'live');
  if (options.revoke && live.length > 0) {
    if (!(await confirmed(live.length, options))) return null;
    for (let i = 0; i < live.length; i += BATCH)
      await ask('/admin/v1/credentials/revoke-leaked', live.slice(i, i + BATCH));
  }
  return new Map([...secrets].map(([finding, secret]) => [finding, verdictOf.get(secret) as ServerVerdict]));
}

async function confirmed(count: number, options: ScanOptions): Promise<boolean> {
  if (options.yes) return true;
  const what = countOf(count, 'live credential', 'live credentials');
  if (!process.stdin.isTTY) {
    process.stderr.write(`error: not revoking ${what} without confirmation; pass --yes to revoke\n`);
    process.exitCode = 2;
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`Revoke ${what} now? Type "yes" to revoke: `);
  prompt.close();
  if (answer.trim().toLowerCase() === 'yes') return true;
  process.stderr.write('nothing revoked\n');
  process.exitCode = 2;
  return false;
}

function describeChecked(report: ScanReport, findings: (FileFinding & Partial<ServerVerdict>)[]): string {
  const lines = findings.map((f) => {
    const state =
      f.status === undefined
        ? ''
        : `  ${f.revoked ? 'revoked now' : f.status}${f.credential_id ? ` (${f.credential_id})` : ''}`;
    return `${f.file}:${f.line}:${f.column}  ${f.hint}  ${f.kind}${state}`;
  });
  const count = (status: string) => findings.filter((f) => f.status === status && !f.revoked).length;
  const revokedNow = findings.filter((f) => f.revoked).length;
  lines.push(
    `${countOf(findings.length, 'credential', 'credentials')} found in ${countOf(report.filesScanned, 'file', 'files')} scanned: ` +
      `${count('live')} live, ${revokedNow} revoked now, ${count('revoked')} already revoked, ${count('unknown')} unknown to this server`,
  );
  if (count('live') > 0)
    lines.push('Revoke the live ones (gatehouse scan --revoke), then remove them from the files.');
  return lines.join('\n');
}

function describe(report: ScanReport): string {
  const lines = report.findings.map((f) => `${f.file}:${f.line}:${f.column}  ${f.hint}  ${f.kind}`);
  const files = new Set(report.findings.map((f) => f.file)).size;
  const count = report.findings.length;
  const scanned = `${countOf(report.filesScanned, 'file', 'files')} scanned`;
  const unreadable = report.unreadable.length;
  if (count === 0 && unreadable > 0) {
    lines.push(
      `scan incomplete: ${countOf(unreadable, 'path', 'paths')} could not be read; ${scanned}, no Gatehouse credentials in them`,
    );
  } else if (count === 0) {
    lines.push(`no Gatehouse credentials found (${scanned})`);
  } else {
    lines.push(
      `${countOf(count, 'Gatehouse credential', 'Gatehouse credentials')} found in ${countOf(files, 'file', 'files')} (${scanned}). ` +
        'Treat each as exposed: revoke or rotate it (gatehouse keys revoke <id>), then remove it from the file.',
    );
  }
  return lines.join('\n');
}
