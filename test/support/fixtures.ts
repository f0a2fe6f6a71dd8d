import assert from 'node:assert/strict';
import type { HttpResponse } from './https-client.ts';
import type { TestServer } from './test-server.ts';

/** Anything that can call the admin API as a test server does. */
export type AdminApi = Pick<TestServer, 'admin'>;

/** A key as created through the admin API: its id, its one-time secret and the whole response. */
export interface IssuedKey {
  readonly id: string;
  readonly key: string;
  readonly response: HttpResponse;
}

/** Creates an integrator through the admin API (asserting 201) and returns its id. */
export async function newIntegrator(
  server: AdminApi,
  body: Record<string, unknown> = {},
  options: { token?: string } = {},
): Promise<string> {
  const created = await server.admin('POST', '/admin/v1/integrators', {
    body: { name: 'Test integrator', ...body },
    ...options,
  });
  assert.equal(created.status, 201, created.text);
  return created.json.id;
}

/**
 * Creates an API key through the admin API (asserting 201): a sandbox key named "test key" unless
 * `body` says otherwise. The secret is recorded for the leak scan by the admin client.
 */
export async function newKey(
  server: AdminApi,
  body: { integrator_id: string } & Record<string, unknown>,
  options: { token?: string } = {},
): Promise<IssuedKey> {
  const response = await server.admin('POST', '/admin/v1/keys', {
    body: { name: 'test key', environment: 'sandbox', ...body },
    ...options,
  });
  assert.equal(response.status, 201, response.text);
  return { id: response.json.id, key: response.json.key, response };
}
