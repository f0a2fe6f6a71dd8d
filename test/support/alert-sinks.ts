import assert from 'node:assert/strict';
import { logFile, recordSecret } from './artifacts.ts';
import { createHttpsClient, type HttpResponse } from './https-client.ts';
import { type SmtpReceiver, startSmtpReceiver } from './smtp-receiver.ts';
import { startTestServer, type TestServer } from './test-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import { verifyStandardWebhook } from './webhook-verifier.ts';

/** An alert as a sink received it. */
export interface SinkAlert {
  rule: string;
  subject: string;
  count: number;
}

export interface AlertSinkFixture {
  readonly server: TestServer;
  readonly receiver: WebhookReceiver;
  readonly smtp: SmtpReceiver;
  /** Alerts at the webhook sink, each verified with the Standard Webhooks algorithm. */
  webhookAlerts(): SinkAlert[];
  /** The `text` of each Slack message. */
  slackTexts(): string[];
  /** A request with a wrong admin token from 127.0.0.2 (the admin throttle then spares the owner). */
  badAdminRequest(path: string): Promise<HttpResponse>;
  close(): Promise<void>;
}

/**
 * A running server with four alert sinks (a signed webhook and a Slack webhook at a local HTTPS
 * receiver, email to a local SMTP server, and the log). What the sinks received is written to the
 * artifacts' log folder on close, so the run's secret scan covers sink payloads.
 */
export async function startAlertSinkFixture(
  name: string,
  env: Record<string, string> = {},
  gatewayFile?: string,
): Promise<AlertSinkFixture> {
  const receiver = await startWebhookReceiver();
  const smtp = await startSmtpReceiver();
  const server = await startTestServer({
    name,
    ...(gatewayFile === undefined ? {} : { gatewayFile }),
    env: {
      GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
      GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
      GATEHOUSE_SMTP_URL: smtp.url,
      GATEHOUSE_ALERT_DELIVERY_POLL: '50ms',
      GATEHOUSE_ALERT_AUDIT_POLL: '50ms',
      ...env,
    },
  });
  const attacker = createHttpsClient(server.ca, { localAddress: '127.0.0.2' });
  const create = async (body: Record<string, unknown>) => {
    const created = await server.admin('POST', '/admin/v1/alert-sinks', { body });
    assert.equal(created.status, 201, created.text);
    return created.json;
  };
  const webhook = await create({ name: 'pager', type: 'webhook', url: `${receiver.url}/alerts` });
  assert.match(webhook.secret, /^whsec_/);
  const secret = recordSecret(webhook.secret as string);
  const slack = await create({ name: 'ops channel', type: 'slack', url: `${receiver.url}/slack` });
  assert.equal(slack.secret, undefined);
  await create({ name: 'security team', type: 'email', to: 'security@example.com' });
  await create({ name: 'log', type: 'log' });
  return {
    server,
    receiver,
    smtp,
    webhookAlerts: () =>
      receiver.receivedAt('/alerts').map((request) => {
        assert.ok(
          verifyStandardWebhook(secret, request.headers, request.body),
          'a valid Standard Webhooks signature',
        );
        const parsed = JSON.parse(request.body.toString('utf8')) as { type: string; data: SinkAlert };
        assert.equal(parsed.type, 'alert.raised');
        return parsed.data;
      }),
    slackTexts: () =>
      receiver
        .receivedAt('/slack')
        .map((request) => (JSON.parse(request.body.toString('utf8')) as { text: string }).text),
    badAdminRequest: (path) =>
      attacker.send(`${server.adminUrl}${path}`, {
        method: 'GET',
        headers: { authorization: 'Bearer not-a-token' },
      }),
    async close() {
      const log = logFile(`${name}-sink-payloads`);
      for (const request of receiver.received) log.write(`${request.body.toString('utf8')}\n`);
      await new Promise<void>((resolve) => log.end(resolve));
      await server.close();
      await receiver.close();
      await smtp.close();
    },
  };
}

/** Matches alerts of one rule and subject. */
export const alertOf = (rule: string, subject: string) => (alert: SinkAlert) =>
  alert.rule === rule && alert.subject === subject;
