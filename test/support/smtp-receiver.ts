import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { logFile } from './artifacts.ts';

/** One message the local SMTP server accepted. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  /** The raw message (headers and body). */
  readonly raw: string;
}

export interface SmtpReceiver {
  /** `smtp://127.0.0.1:<port>`, for GATEHOUSE_SMTP_URL. */
  readonly url: string;
  readonly received: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package), without TLS or authentication, as a
 * test's mail relay. Every accepted message is also written to the artifacts' log folder, so the
 * run's secret scan covers what alert emails carried.
 */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const log = logFile('smtp-receiver');
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
        };
        received.push(mail);
        log.write(`${JSON.stringify(mail)}\n`);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
