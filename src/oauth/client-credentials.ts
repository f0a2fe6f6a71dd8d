import type { IncomingMessage } from 'node:http';
import { BASIC_CHALLENGE, OAuthError } from './oauth-http.ts';

export interface PresentedClient {
  readonly clientId: string;
  readonly secret: string;
  readonly method: 'client_secret_basic' | 'client_secret_post';
}

/**
 * The client's credentials from `Authorization: Basic` (client_secret_basic: form-encoded id and
 * secret, RFC 6749 §2.3.1) or from the body (client_secret_post). Exactly one method per request.
 */
export function presentedClient(req: IncomingMessage, form: Map<string, string>): PresentedClient {
  const header = req.headers.authorization;
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (header !== undefined) {
    if (bodySecret !== undefined) {
      throw new OAuthError(
        400,
        'invalid_request',
        'Authenticate the client with one method: Basic or client_secret in the body',
      );
    }
    const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header);
    const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed', BASIC_CHALLENGE);
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (clientId === undefined || secret === undefined || (bodyId !== undefined && bodyId !== clientId)) {
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed', BASIC_CHALLENGE);
    }
    return { clientId, secret, method: 'client_secret_basic' };
  }
  if (bodyId !== undefined && bodySecret !== undefined)
    return { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
  throw new OAuthError(401, 'invalid_client', 'Client authentication is required', BASIC_CHALLENGE);
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
