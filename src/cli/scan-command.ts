import type { Command } from 'commander';
import { isValidPrefix } from '../crypto/key-format.ts';
import { type ScanReport, scanPaths } from './credential-scanner.ts';
import { countOf, print } from './output.ts';

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
    .option('--json', 'print JSON')
    .action(async (paths: string[], options: { prefix?: string; json?: boolean }) => {
      const prefix = options.prefix ?? process.env.GATEHOUSE_KEY_PREFIX;
      if (prefix !== undefined && !isValidPrefix(prefix)) {
        process.stderr.write(
          `error: "${prefix}" is not a credential prefix (lower-case letters and digits)\n`,
        );
        process.exitCode = 2;
        return;
      }
      const report = await scanPaths(paths, prefix);
      for (const { path, reason } of report.unreadable)
        process.stderr.write(`error: cannot read ${path} (${reason})\n`);
      print(report, options, () => describe(report));
      process.exitCode = report.unreadable.length > 0 ? 2 : report.findings.length > 0 ? 1 : 0;
    });
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
