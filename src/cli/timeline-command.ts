import { Command } from 'commander';
import type { CredentialTimelineReport } from '../timeline/credential-timeline.ts';
import type { TimelineEntry } from '../timeline/timeline-entry.ts';
import { print, runWithClient, table } from './output.ts';
import { printable } from './printable.ts';

/**
 * `gatehouse … timeline --credential ID [--since …] [--until …] [--json]`: what one API key or
 * OAuth client did and what was done to it, in time order (L6), from the admin API.
 */
export function timelineCommand(): Command {
  return new Command('timeline')
    .description(
      'what one credential did over a period: usage by minute, addresses, events, alerts, admin actions',
    )
    .requiredOption('--credential <id>', 'the id of an API key or OAuth client')
    .option(
      '--since <when>',
      'start: ISO 8601 (2025-05-01T12:00:00Z) or a duration ago (30m, 24h, 7d); default 24h',
    )
    .option('--until <when>', 'end, the same forms; default now (at most 7 days after --since)')
    .option('--json', 'print JSON')
    .action((options: { credential: string; since?: string; until?: string; json?: boolean }) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams();
        if (options.since !== undefined) query.set('since', options.since);
        if (options.until !== undefined) query.set('until', options.until);
        const report = await client.call<CredentialTimelineReport>(
          'GET',
          `/admin/v1/credentials/${encodeURIComponent(options.credential)}/timeline${query.size > 0 ? `?${query}` : ''}`,
        );
        print(report, options, () => renderTimeline(report));
      }),
    );
}

/** The report for people: a heading, one line per entry, the addresses, the totals. */
export function renderTimeline(report: CredentialTimelineReport): string {
  const { credential, totals } = report;
  const rows = report.entries.map((entry) => ({
    time: entry.time,
    type: entry.type,
    what: printable(describe(entry)),
    ip: entry.ip ?? null,
  }));
  const ips = report.ips.map((ip) => ({ ...ip }));
  const lines = [
    printable(
      `${credential.type} ${credential.name} (${credential.id}), ${credential.environment}, ${credential.status}`,
    ),
    `from ${report.since} to ${report.until}`,
    '',
    table(rows, ['time', 'type', 'what', 'ip']),
    '',
    'Addresses used in this period:',
    table(ips, ['ip', 'first_seen', 'last_seen', 'requests']),
    '',
    `Requests: ${totals.requests} (2xx ${totals['2xx']}, 3xx ${totals['3xx']}, 4xx ${totals['4xx']}, 5xx ${totals['5xx']})`,
  ];
  if (report.truncated)
    lines.push(
      `Cut at ${report.next_since}: more happened than one report holds; run again with --since ${report.next_since}.`,
    );
  return lines.join('\n');
}

function describe(entry: TimelineEntry): string {
  switch (entry.type) {
    case 'usage': {
      const status = entry.status;
      const classes = status
        ? (['2xx', '3xx', '4xx', '5xx'] as const)
            .filter((name) => status[name] > 0)
            .map((name) => `${name} ${status[name]}`)
            .join(', ')
        : '';
      return `${entry.requests ?? 0} requests (${classes})`;
    }
    case 'new_ip':
      return 'first use from this address';
    case 'security_event':
      return `${entry.event} (${entry.source})`;
    case 'alert':
      return `alert ${entry.rule}, ${entry.alert_status}, ${entry.count}×, last seen ${entry.last_seen}`;
    case 'admin_action':
      return `${entry.action} by ${entry.actor?.name ?? entry.actor?.id ?? entry.actor?.type}`;
  }
}
