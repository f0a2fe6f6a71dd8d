import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Page } from '../http/pagination.ts';
import type { BulkResult } from '../incidents/bulk-result.ts';
import type { Incident, IncidentWithEntries } from '../incidents/incident.ts';
import { incidentReport } from '../incidents/incident-report.ts';
import { type AdminClient, createAdminClient } from './admin-client.ts';
import { collect, countOf, print, record, run, runWithClient, table } from './output.ts';

const INCIDENT_COLUMNS = ['id', 'title', 'severity', 'status', 'created_at', 'closed_at'];
const BULK_COLUMNS = ['kind', 'id', 'name', 'environment', 'integrator_id', 'outcome', 'old_secrets_end'];

/**
 * `gatehouse incident …`: incident records (L7) and bulk rotation and revocation (L6) through the
 * admin API. Returns the `incident` command so that more subcommands can be added to it.
 */
export function registerIncidentCommands(program: Command): Command {
  const incident = program.command('incident').description('incident records and bulk credential response');

  incident
    .command('open')
    .description('open an incident')
    .requiredOption('--title <title>', 'what happened, in a line')
    .option('--severity <severity>', 'low, medium, high or critical', 'high')
    .option('--summary <text>', 'what is known so far')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const body: Record<string, unknown> = { title: options.title, severity: options.severity };
        if (options.summary !== undefined) body.summary = options.summary;
        const opened = await client.call<Incident>('POST', '/admin/v1/incidents', body);
        print(opened, options, () => record(summary(opened)));
      }),
    );

  incident
    .command('list')
    .description('list incidents, newest first')
    .option('--status <status>', 'open or closed')
    .option('--limit <n>', 'page size', '50')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.status) query.set('status', options.status);
        const page = await client.call<Page<Incident>>('GET', `/admin/v1/incidents?${query}`);
        print(page, options, () =>
          table(page.data as unknown as Record<string, unknown>[], INCIDENT_COLUMNS),
        );
      }),
    );

  incident
    .command('show <id>')
    .description('show an incident and its timeline')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const found = await getIncident(client, id);
        print(found, options, () => `${record(summary(found))}\n\n${timeline(found)}`);
      }),
    );

  incident
    .command('note <id> <text>')
    .description('add a note to an open incident')
    .option('--json', 'print JSON')
    .action((id: string, text: string, options) =>
      runWithClient(async (client) => {
        const changed = await client.call<IncidentWithEntries>('POST', `${path(id)}/notes`, { text });
        print(changed, options, () => timeline(changed));
      }),
    );

  incident
    .command('attach <id>')
    .description('attach alerts, security events or credentials to an open incident')
    .option('--alert <id>', 'an alert (repeatable)', collect)
    .option('--event <id>', 'a security event (repeatable)', collect)
    .option('--credential <id>', 'an API key, OAuth client or webhook endpoint (repeatable)', collect)
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const attachments = [
          ...((options.alert ?? []) as string[]).map((ref) => ({ kind: 'alert', id: ref })),
          ...((options.event ?? []) as string[]).map((ref) => ({ kind: 'security_event', id: ref })),
          ...((options.credential ?? []) as string[]).map((ref) => ({ kind: 'credential', id: ref })),
        ];
        if (attachments.length === 0) throw new Error('name at least one --alert, --event or --credential');
        let changed: IncidentWithEntries | undefined;
        for (const attachment of attachments)
          changed = await client.call<IncidentWithEntries>('POST', `${path(id)}/attachments`, attachment);
        const last = changed as IncidentWithEntries;
        print(last, options, () => timeline(last));
      }),
    );

  incident
    .command('close <id>')
    .description('close an incident with its resolution')
    .requiredOption('--resolution <text>', 'what was found and done')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const closed = await client.call<IncidentWithEntries>('POST', `${path(id)}/close`, {
          resolution: options.resolution,
        });
        print(closed, options, () => record(summary(closed)));
      }),
    );

  incident
    .command('report <id>')
    .description('write the incident as a Markdown report (timeline, affected, actions, by whom)')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .option('--json', 'print JSON: the incident and the report')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const found = await getIncident(client, id);
        const markdown = incidentReport(found);
        if (options.out) writeFileSync(options.out, markdown, { mode: 0o600 });
        if (options.json) print({ incident: found, markdown }, options, () => '');
        else if (options.out) process.stdout.write(`report written to ${options.out}\n`);
        else process.stdout.write(markdown);
      }),
    );

  addBulkCommand(incident, 'rotate');
  addBulkCommand(incident, 'revoke');
  return incident;
}

/** `rotate-all` and `revoke-all`: a dry run first, a confirmation, then the action once. */
function addBulkCommand(incident: Command, verb: 'rotate' | 'revoke'): void {
  const command = incident
    .command(`${verb}-all`)
    .description(
      verb === 'rotate'
        ? 'give every selected credential a new secret; the new secrets are shown once'
        : 'revoke every selected credential at once (webhook endpoints get a new secret)',
    )
    .option('--incident <id>', 'log the action on this open incident')
    .option('--environment <env>', 'only this environment (production or sandbox)')
    .option('--integrator <id>', 'only this integrator’s credentials')
    .option('--created-after <time>', 'only credentials created at or after this ISO 8601 time')
    .option('--created-before <time>', 'only credentials created before this ISO 8601 time')
    .option('--used-from-ip <ip>', 'only credentials used from this address (with --used-since)')
    .option('--used-since <time>', 'since when (ISO 8601) for --used-from-ip')
    .option('--kind <kind>', 'api_key, oauth_client or webhook_endpoint (repeatable; default all)', collect);
  if (verb === 'rotate')
    command.requiredOption(
      '--overlap <seconds>',
      'how long the old secrets keep working; 0: they fail at once',
    );
  else command.option('--reason <text>', 'why, kept on each revoked key and in the audit trail');
  command
    .option('--dry-run', 'list what would change, change nothing')
    .option(
      '--out <file>',
      'write the new secrets to this file (created, mode 0600) instead of printing them',
    )
    .option('--idempotency-key <key>', 'the same key again finishes an action a failure cut short')
    .option('--yes', 'do it without asking (scripts, CI)')
    .option('--json', 'print JSON')
    .action((options) =>
      run(async () => {
        if (options.out && existsSync(options.out)) throw new Error(`${options.out} exists; name a new file`);
        const body = bulkBody(verb, options);
        const url = options.incident
          ? `${path(options.incident)}/actions/${verb}-all`
          : `/admin/v1/credentials/${verb}-all`;
        await withClient(async (client) => {
          const preview = await client.call<BulkResult>('POST', url, { ...body, dry_run: true });
          if (options.dryRun || preview.counts.selected === 0) {
            print(preview, options, () => `${table(rows(preview), BULK_COLUMNS)}\n${selectedLine(preview)}`);
            return;
          }
          if (!(await confirmed(verb, preview.counts.selected, options))) return;
          const key: string = options.idempotencyKey ?? randomUUID();
          let result: BulkResult;
          try {
            result = await client.call<BulkResult>('POST', url, body, { 'idempotency-key': key });
          } catch (error) {
            process.stderr.write(
              `the ${verb}-all may be unfinished: run the same command with --idempotency-key ${key} to finish it\n`,
            );
            throw error;
          }
          output(result, options);
        });
      }),
    );
}

function bulkBody(verb: 'rotate' | 'revoke', options: Record<string, string | string[] | undefined>) {
  const body: Record<string, unknown> = {};
  const fields: [string, string][] = [
    ['environment', 'environment'],
    ['integrator', 'integrator_id'],
    ['createdAfter', 'created_after'],
    ['createdBefore', 'created_before'],
    ['usedFromIp', 'used_from_ip'],
    ['usedSince', 'used_since'],
    ['kind', 'kinds'],
  ];
  for (const [option, field] of fields) if (options[option] !== undefined) body[field] = options[option];
  if (verb === 'rotate') {
    const overlap = Number(options.overlap);
    if (!Number.isInteger(overlap) || overlap < 0)
      throw new Error('--overlap must be a whole number of seconds');
    body.overlap_seconds = overlap;
  } else if (options.reason !== undefined) body.reason = options.reason;
  return body;
}

/** Prints the result; with `--out`, the secrets go to the file only. */
function output(result: BulkResult, options: Record<string, unknown>): void {
  const withSecrets = result.credentials.filter((c) => c.secret !== null);
  if (typeof options.out === 'string') {
    const file = {
      action_id: result.id,
      credentials: withSecrets.map(({ kind, id, name, environment, integrator_id, secret }) => ({
        kind,
        id,
        name,
        environment,
        integrator_id,
        secret,
      })),
    };
    writeFileSync(options.out, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    const shown = { ...result, credentials: result.credentials.map((c) => ({ ...c, secret: null })) };
    print(
      shown,
      options,
      () =>
        `${table(rows(result), BULK_COLUMNS)}\n${selectedLine(result)}\n${countOf(withSecrets.length, 'new secret', 'new secrets')} written to ${options.out}`,
    );
    return;
  }
  print(result, options, () => {
    const secrets = withSecrets.map((c) => `${c.kind} ${c.id}  ${c.secret}`).join('\n');
    const notice =
      withSecrets.length > 0 ? `\n\nnew secrets (shown only once, store them now):\n${secrets}` : '';
    const repeat = result.secrets_included
      ? ''
      : '\n(this repeats a finished action: its secrets were shown then)';
    return `${table(rows(result), BULK_COLUMNS)}\n${selectedLine(result)}${notice}${repeat}`;
  });
}

async function confirmed(verb: string, count: number, options: { yes?: boolean }): Promise<boolean> {
  if (options.yes) return true;
  const what = countOf(count, 'credential', 'credentials');
  if (!process.stdin.isTTY) {
    process.stderr.write(
      `error: not ${verb === 'rotate' ? 'rotating' : 'revoking'} ${what} without confirmation; pass --yes\n`,
    );
    process.exitCode = 2;
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(
    `${verb === 'rotate' ? 'Rotate' : 'Revoke'} ${what} now? Type "yes" to go on: `,
  );
  prompt.close();
  if (answer.trim().toLowerCase() === 'yes') return true;
  process.stderr.write('nothing changed\n');
  process.exitCode = 2;
  return false;
}

async function withClient(body: (client: AdminClient) => Promise<void>): Promise<void> {
  const client = createAdminClient(process.env);
  try {
    await body(client);
  } finally {
    await client.close();
  }
}

const path = (id: string) => `/admin/v1/incidents/${encodeURIComponent(id)}`;
const getIncident = (client: AdminClient, id: string) => client.call<IncidentWithEntries>('GET', path(id));

const rows = (result: BulkResult) =>
  result.credentials.map((c) => ({
    ...c,
    outcome: c.error_code ? `${c.outcome} (${c.error_code})` : c.outcome,
  }));

function selectedLine(result: BulkResult): string {
  const { selected, changed, failed, pending } = result.counts;
  if (result.dry_run) return `${countOf(selected, 'credential', 'credentials')} would change (dry run)`;
  return `${countOf(selected, 'credential', 'credentials')} selected: ${changed} changed, ${failed} failed, ${pending} pending`;
}

function summary(incident: Incident): Record<string, unknown> {
  return {
    id: incident.id,
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    opened: `${incident.created_at} by ${incident.opened_by.name}`,
    closed_at: incident.closed_at,
    resolution: incident.resolution,
  };
}

function timeline(incident: IncidentWithEntries): string {
  return table(
    incident.entries.map((e) => ({
      time: e.created_at,
      by: e.actor.name,
      kind: e.kind,
      ref: e.ref_id,
      text: e.text ?? '',
    })),
    ['time', 'by', 'kind', 'ref', 'text'],
  );
}
