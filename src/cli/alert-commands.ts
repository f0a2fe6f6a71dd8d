import type { Command } from 'commander';
import type { Alert } from '../alerts/alert-types.ts';
import type { AlertSink } from '../alerts/sink-service.ts';
import type { Page } from '../http/pagination.ts';
import type { SecurityEvent } from '../monitor/security-events.ts';
import { print, record, runWithClient, table } from './output.ts';

const ALERT_COLUMNS = ['id', 'rule', 'subject', 'status', 'count', 'first_seen', 'last_seen'];
const SINK_COLUMNS = ['id', 'name', 'type', 'url', 'to', 'enabled', 'last_error', 'last_failure_at'];
const EVENT_COLUMNS = ['id', 'timestamp', 'event', 'source', 'credential_id', 'ip'];
const rows = (page: Page<unknown>) => page.data as Record<string, unknown>[];

/** `gatehouse alerts …`, `gatehouse events` and `gatehouse alert-sinks …` through the admin API. */
export function registerAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('alerts raised by the detectors (list by default)');
  alerts
    .command('list', { isDefault: true })
    .description('list alerts, newest first')
    .option('--rule <rule>', 'only this rule, e.g. auth_failures')
    .option('--status <status>', 'open or acknowledged')
    .option('--limit <n>', 'page size', '50')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.rule) query.set('rule', options.rule);
        if (options.status) query.set('status', options.status);
        const page = await client.call<Page<Alert>>('GET', `/admin/v1/alerts?${query}`);
        print(page, options, () => table(rows(page), ALERT_COLUMNS));
      }),
    );
  alerts
    .command('show <id>')
    .description('show one alert with the ids of its security events')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const alert = await client.call<Alert>('GET', `/admin/v1/alerts/${encodeURIComponent(id)}`);
        print(alert, options, () =>
          record({ ...alert, event_ids: alert.event_ids.join(' '), details: JSON.stringify(alert.details) }),
        );
      }),
    );
  alerts
    .command('ack <id>')
    .description('acknowledge an alert')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const alert = await client.call<Alert>(
          'POST',
          `/admin/v1/alerts/${encodeURIComponent(id)}/acknowledge`,
          {},
        );
        print(alert, options, () => `Acknowledged alert ${alert.id} (${alert.rule} for ${alert.subject}).`);
      }),
    );

  program
    .command('events')
    .description('list security events, newest first')
    .option('--event <type>', 'only this event type, e.g. authentication_failed')
    .option('--credential <id>', 'only this credential’s events')
    .option('--limit <n>', 'page size', '50')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.event) query.set('event', options.event);
        if (options.credential) query.set('credential_id', options.credential);
        const page = await client.call<Page<SecurityEvent>>('GET', `/admin/v1/security-events?${query}`);
        print(page, options, () => table(rows(page), EVENT_COLUMNS));
      }),
    );

  const sinks = program.command('alert-sinks').description('where alerts are sent (list by default)');
  sinks
    .command('list', { isDefault: true })
    .description('list alert sinks')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const page = await client.call<Page<AlertSink>>('GET', '/admin/v1/alert-sinks?limit=200');
        print(page, options, () => table(rows(page), SINK_COLUMNS));
      }),
    );
  sinks
    .command('create')
    .description('add a sink: log, webhook (prints its signing secret once), slack or email')
    .requiredOption('--name <name>', 'what the sink is')
    .requiredOption('--type <type>', 'log, webhook, slack or email')
    .option('--url <url>', 'https:// URL (webhook, slack)')
    .option('--to <address>', 'recipient (email)')
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        const body: Record<string, unknown> = { name: options.name, type: options.type };
        if (options.url) body.url = options.url;
        if (options.to) body.to = options.to;
        const sink = await client.call<AlertSink & { secret?: string }>(
          'POST',
          '/admin/v1/alert-sinks',
          body,
        );
        print(sink, options, () =>
          sink.secret
            ? `Created sink ${sink.id}.\nSigning secret: ${sink.secret}\nStore this secret now: it is shown only once.`
            : `Created sink ${sink.id}.`,
        );
      }),
    );
  sinks
    .command('delete <id>')
    .description('delete a sink and its pending deliveries')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const sink = await client.call<AlertSink>(
          'DELETE',
          `/admin/v1/alert-sinks/${encodeURIComponent(id)}`,
        );
        print(sink, options, () => `Deleted sink ${sink.id} (${sink.name}).`);
      }),
    );
}
