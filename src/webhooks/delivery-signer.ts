import type { KeyObject } from 'node:crypto';
import type { SigningScheme } from './signing-secret.ts';
import { signSimple } from './simple-signature.ts';
import { signV1, signV1a } from './standard-signature.ts';

/** How one endpoint signs: its scheme and its active keys, newest first. */
export interface EndpointSigning {
  readonly scheme: SigningScheme;
  /** The header of the `simple` scheme. */
  readonly signatureHeader: string | null;
  readonly keys: readonly KeyObject[];
}

export const USER_AGENT = 'Gatehouse-Webhooks/1';

/**
 * The headers of one delivery attempt. `webhook-id` and `webhook-timestamp` are sent in every scheme
 * (receivers use the id to drop duplicates); the signature covers them in the standard and Ed25519
 * schemes. One signature per active key, so both verify while a rotation's overlap runs (W4).
 */
export function deliveryHeaders(
  signing: EndpointSigning,
  messageId: string,
  timestamp: number,
  body: Buffer,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
  };
  const content = { id: messageId, timestamp, body };
  if (signing.scheme === 'standard') {
    headers['webhook-signature'] = signing.keys.map((key) => signV1(key, content)).join(' ');
  } else if (signing.scheme === 'ed25519') {
    headers['webhook-signature'] = signing.keys.map((key) => signV1a(key, content)).join(' ');
  } else {
    headers[(signing.signatureHeader ?? DEFAULT_SIMPLE_HEADER).toLowerCase()] = signing.keys
      .map((key) => signSimple(key, body))
      .join(', ');
  }
  return headers;
}

export const DEFAULT_SIMPLE_HEADER = 'X-Webhook-Signature';
