import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

// PostgreSQL text cannot hold U+0000: without the check such a value was a 500 there.
const probe = await createTestPostgres();
await probe?.drop();

for (const database of ['sqlite', 'postgres'] as const) {
  const skip = database === 'postgres' && !probe ? POSTGRES_SKIP_MESSAGE : false;
  describe(`admin API: a NUL character is bad input (${database})`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ name: `admin-nul-${database}`, database });
    });
    after(() => server?.close());

    it('in a body field, a nested value or a query is a 400 naming the field, and nothing is stored', async () => {
      for (const [method, path, body, field] of [
        ['POST', '/admin/v1/integrators', { name: 'Acme\u0000Corp' }, '/name'],
        ['POST', '/admin/v1/integrators', { name: 'Acme', metadata: { note: '\u0000' } }, '/metadata/note'],
        ['GET', '/admin/v1/integrators?cursor=a%00b', undefined, 'querystring:/cursor'],
        ['GET', '/admin/v1/audit?action=%00', undefined, 'querystring:/action'],
      ] as const) {
        const response = await server.admin(method, path, body === undefined ? {} : { body });
        assert.equal(response.status, 400, `${method} ${path}: ${response.text}`);
        assert.equal(response.json.code, 'validation_failed');
        assert.deepEqual(response.json.errors, [{ field, message: 'must not contain a NUL character' }]);
      }
      const listed = await server.admin('GET', '/admin/v1/integrators');
      assert.deepEqual(listed.json.data, []);
    });
  });
}
