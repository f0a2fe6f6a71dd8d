import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AuditEntry } from '../audit/audit-entry.ts';
import { checkpointLine, entryLine } from '../audit/audit-export.ts';
import type { AuditPublicKey } from '../audit/audit-signing-key.ts';
import { type AuditCheckpoint, readAuditPublicKey } from '../audit/checkpoint-format.ts';
import { verifyAuditExport } from '../audit/export-verifier.ts';
import type { AdminClient } from './admin-client.ts';
import { withLocalServices } from './local-services.ts';
import { print, run, runWithClient } from './output.ts';

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** `gatehouse audit …`: verify the chain (from the database or an export), export it, print the public key. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('verify')
    .description(
      'walk the whole chain and report the first edited, inserted or deleted entry (exit 2 if broken); with --file, verify an export offline',
    )
    .option(
      '--file <path>',
      'an export written by `gatehouse audit export` (offline: no server, no database)',
    )
    .option(
      '--public-key <path>',
      'the audit public key (PEM or JWK file) printed by `gatehouse audit public-key`',
    )
    .option('--json', 'print JSON')
    .action((options: { file?: string; publicKey?: string; json?: boolean }) =>
      run(async () => {
        if (options.file !== undefined || options.publicKey !== undefined) return verifyExportFile(options);
        await withLocalServices(async ({ audit: log, database }) => {
          const result = await log.verify(database.db);
          print(result, options, () =>
            result.ok
              ? `audit chain intact: ${result.entries_checked} entries verified${result.started_after === null ? '' : ` (after checkpoint ${result.started_after}; older entries were purged)`}`
              : `audit chain BROKEN at entry ${result.first_broken?.seq} (${result.first_broken?.reason}); ${result.entries_checked} entries before it verified`,
          );
          if (!result.ok) process.exitCode = 2;
        });
      }),
    );

  audit
    .command('export')
    .description(
      'sign the chain head, then write every entry and checkpoint as JSON Lines (to stdout or --out)',
    )
    .option('--out <path>', 'write the export to this file instead of stdout')
    .option('--json', 'print a JSON summary')
    .action((options: { out?: string; json?: boolean }) =>
      runWithClient(async (client) => {
        const { lines, entries, checkpoints, throughSeq } = await exportLines(client);
        const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
        const summary = { entries, checkpoints, through_seq: throughSeq, out: options.out ?? null };
        if (options.out === undefined) {
          process.stdout.write(text);
          if (options.json) process.stderr.write(`${JSON.stringify(summary)}\n`);
          return;
        }
        writeFileSync(options.out, text, { mode: 0o600 });
        print(
          summary,
          options,
          () =>
            `wrote ${entries} entries and ${checkpoints} checkpoints to ${options.out} (signed through entry ${throughSeq ?? '-'})`,
        );
      }),
    );

  audit
    .command('public-key')
    .description('print the Ed25519 public key audit checkpoints are signed with (PEM), for auditors to keep')
    .option('--json', 'print JSON (key id, PEM and JWK)')
    .action((options: { json?: boolean }) =>
      runWithClient(async (client) => {
        const key = await client.call<AuditPublicKey>('GET', '/admin/v1/audit/public-key');
        print(key, options, () => key.public_key_pem.trimEnd());
      }),
    );
}

async function verifyExportFile(options: {
  file?: string;
  publicKey?: string;
  json?: boolean;
}): Promise<void> {
  if (options.file === undefined || options.publicKey === undefined)
    throw new Error('an offline verify needs both --file and --public-key');
  const publicKey = readAuditPublicKey(readFileSync(options.publicKey, 'utf8'));
  const result = verifyAuditExport(readFileSync(options.file, 'utf8'), publicKey);
  print(result, options, () => {
    const warnings = result.warnings.map((warning) => `\nwarning: ${warning}`).join('');
    if (!result.ok)
      return `audit export BROKEN: ${result.first_broken?.detail} (${result.first_broken?.reason}${result.first_broken?.line ? `, line ${result.first_broken.line}` : ''})`;
    const from =
      result.started_after === null ? '' : ` (starting after purged checkpoint ${result.started_after})`;
    return `audit export verified: ${result.entries_checked} entries and ${result.checkpoints_checked} checkpoints${from}; signed through entry ${result.covered_through ?? '-'}${warnings}`;
  });
  if (!result.ok) process.exitCode = 2;
}

/** A checkpoint of the head first, so the export ends with a checkpoint covering its last entry. */
async function exportLines(client: AdminClient) {
  const signed = await client.call<{ checkpoint: AuditCheckpoint | null }>(
    'POST',
    '/admin/v1/audit/checkpoints',
  );
  const throughSeq = signed.checkpoint?.seq ?? null;
  if (throughSeq === null) return { lines: [], entries: 0, checkpoints: 0, throughSeq };
  const entries = await allPages<AuditEntry>(client, '/admin/v1/audit/export', 1000, throughSeq);
  const checkpoints = (
    await allPages<AuditCheckpoint>(client, '/admin/v1/audit/checkpoints', 200, throughSeq)
  ).reverse();
  return {
    lines: [...entries.map(entryLine), ...checkpoints.map(checkpointLine)],
    entries: entries.length,
    checkpoints: checkpoints.length,
    throughSeq,
  };
}

async function allPages<T>(
  client: AdminClient,
  path: string,
  limit: number,
  throughSeq: number,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const query = `?limit=${limit}&through_seq=${throughSeq}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page: Page<T> = await client.call<Page<T>>('GET', `${path}${query}`);
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return items;
}
