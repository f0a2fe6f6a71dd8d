import type { IncidentEntry, IncidentWithEntries } from './incident.ts';

/** A value as one Markdown table cell: no line breaks, pipes escaped. */
function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');
}

/** A paragraph of operator text, kept from being read as Markdown structure. */
function paragraph(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^(\s*)([#>*+-]|\d+\.)/, '$1\\$2'))
    .join('\n');
}

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '_None._';
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

const who = (entry: Pick<IncidentEntry, 'actor'>) => entry.actor.name;

interface ActionCredential {
  kind: string;
  id: string;
  name: string;
  environment: string;
  integrator_id: string;
  outcome: string;
  error_code?: string | null;
  old_secrets_end?: string | null;
}

/** What one timeline entry says, in a sentence. */
function describe(entry: IncidentEntry): string {
  const d = entry.details;
  switch (entry.kind) {
    case 'opened':
      return `Opened (severity ${String(d.severity)})`;
    case 'note':
      return `Note: ${entry.text ?? ''}`;
    case 'alert':
      return `Alert attached: ${String(d.rule)} on ${String(d.subject)} (${entry.ref_id})`;
    case 'security_event':
      return `Security event attached: ${String(d.event)} (${entry.ref_id})`;
    case 'credential':
      return `Credential attached: ${String(d.credential_kind)} ${String(d.name)} (${entry.ref_id})`;
    case 'action': {
      const counts = d.counts as { changed: number; failed: number; selected: number } | undefined;
      const done = counts
        ? `${counts.changed} of ${counts.selected} changed, ${counts.failed} failed`
        : `${String(d.credentials)} selected, running`;
      return `Bulk ${String(d.verb)} (${entry.ref_id}): ${done}`;
    }
    case 'closed':
      return `Closed: ${entry.text ?? ''}`;
  }
}

/**
 * The incident as a Markdown report (L7): what happened, in time order, what was affected, what was
 * done and by whom. It is made from the incident as the admin API shows it, which holds no secret.
 */
export function incidentReport(incident: IncidentWithEntries): string {
  const actions = incident.entries.filter((e) => e.kind === 'action');
  const affected = new Map<string, ActionCredential & { via: string }>();
  for (const entry of incident.entries) {
    if (entry.kind === 'credential') {
      const d = entry.details;
      affected.set(entry.ref_id, {
        kind: String(d.credential_kind),
        id: entry.ref_id,
        name: String(d.name),
        environment: String(d.environment),
        integrator_id: String(d.integrator_id),
        outcome: 'attached',
        via: 'attached',
      });
    }
  }
  for (const action of actions) {
    const credentials = (action.details.credentials ?? []) as ActionCredential[] | number;
    if (typeof credentials === 'number') continue;
    for (const c of credentials) affected.set(c.id, { ...c, via: `bulk ${String(action.details.verb)}` });
  }
  const lines = [
    `# Incident report: ${cell(incident.title)}`,
    '',
    table(
      ['Field', 'Value'],
      [
        ['Incident', incident.id],
        ['Severity', incident.severity],
        ['Status', incident.status],
        ['Opened', `${incident.created_at} by ${incident.opened_by.name}`],
        ['Closed', incident.closed_at ?? 'not yet'],
      ],
    ),
    '',
    '## Summary',
    '',
    incident.summary === '' ? '_None given._' : paragraph(incident.summary),
    '',
    '## Timeline',
    '',
    table(
      ['Time (UTC)', 'By', 'What'],
      incident.entries.map((e) => [e.created_at, who(e), describe(e)]),
    ),
    '',
    '## Actions taken',
    '',
    table(
      ['Time (UTC)', 'By', 'Action', 'Selection', 'Overlap (s)', 'Changed', 'Failed'],
      actions.map((a) => {
        const counts = a.details.counts as { changed: number; failed: number } | undefined;
        return [
          a.created_at,
          who(a),
          `${String(a.details.verb)}-all (${a.ref_id}, ${String(a.details.status)})`,
          JSON.stringify(a.details.selection ?? {}),
          a.details.overlap_seconds ?? '',
          counts?.changed ?? '',
          counts?.failed ?? '',
        ];
      }),
    ),
    '',
    '## Affected credentials',
    '',
    table(
      ['Kind', 'Id', 'Name', 'Environment', 'Integrator', 'How', 'Outcome'],
      [...affected.values()].map((c) => [
        c.kind,
        c.id,
        c.name,
        c.environment,
        c.integrator_id,
        c.via,
        c.error_code ? `${c.outcome} (${c.error_code})` : c.outcome,
      ]),
    ),
    '',
    '## Resolution',
    '',
    incident.resolution === null ? '_Open._' : paragraph(incident.resolution),
    '',
  ];
  return lines.join('\n');
}
