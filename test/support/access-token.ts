import assert from 'node:assert/strict';
import { recordSecret } from './artifacts.ts';
import type { TestServer } from './test-server.ts';

/** An OAuth access token for a client, from the server's token endpoint (`client_secret_post`). */
export async function issueAccessToken(
  server: TestServer,
  client: { readonly client_id: string; readonly client_secret: string },
): Promise<string> {
  const token = await server.data('/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...client }).toString(),
  });
  assert.equal(token.status, 200, token.text);
  return recordSecret(token.json.access_token);
}
