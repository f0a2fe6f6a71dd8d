import { createHmac, randomBytes } from 'node:crypto';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);
let counter = 0;
export const newId = () => `msg_${process.pid}_${++counter}_${randomBytes(4).toString('hex')}`;

/** Signs as Gatehouse's delivery signer does (written here from the spec, not imported). */
export function signedHeaders(
  secrets: readonly string[],
  body: string,
  { id = newId(), timestamp = nowSeconds() }: { id?: string; timestamp?: number } = {},
): Record<string, string> {
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  });
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}
