import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevelopmentCertificate } from '../tls/development-certificate.ts';
import { CodeHostKeysUnavailable, FetchedCodeHostKeys } from './code-host-keys.ts';

const publicPem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();

describe('the code host’s keys, fetched from its published list', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let ca: string;
  let served: { status: number; body: string };
  let fetches = 0;
  const list = (...ids: string[]) =>
    JSON.stringify({
      public_keys: ids.map((id) => ({ key_identifier: id, key: publicPem(), is_current: true })),
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-code-host-'));
    const tls = await ensureDevelopmentCertificate(dir);
    ca = readFileSync(tls.caFile, 'utf8');
    server = createServer(
      { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
      (_req, res) => {
        fetches += 1;
        res.writeHead(served.status, { 'content-type': 'application/json' }).end(served.body);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches once, serves from the cache, and fetches again for an unknown key only after a minute', async () => {
    let now = 1_000_000;
    served = { status: 200, body: list('k1') };
    fetches = 0;
    const keys = new FetchedCodeHostKeys(url, { extraCa: ca, now: () => now });
    try {
      assert.ok(await keys.find('k1'));
      assert.ok(await keys.find('k1'));
      assert.equal(await keys.find('forged'), undefined);
      assert.equal(fetches, 1);

      served = { status: 200, body: list('k1', 'k2') };
      now += 61_000;
      const [k2, again] = await Promise.all([keys.find('k2'), keys.find('k2')]);
      assert.ok(k2 && again);
      assert.equal(fetches, 2, 'concurrent lookups share one fetch');

      now += 3_600_000;
      served = { status: 500, body: 'down' };
      assert.ok(await keys.find('k1'), 'a failed refresh keeps the list it had');
      assert.equal(fetches, 3);
    } finally {
      await keys.close();
    }
  });

  it('is unavailable while no list could be fetched, retrying at most every 5 s, and refuses a bad list', async () => {
    let now = 5_000_000;
    fetches = 0;
    const keys = new FetchedCodeHostKeys(url, { extraCa: ca, now: () => now });
    try {
      for (const body of [
        'not json',
        JSON.stringify({ public_keys: [{ key_identifier: 'k', key: 'nope' }] }),
      ]) {
        served = { status: 200, body };
        await assert.rejects(keys.find('k'), CodeHostKeysUnavailable);
        await assert.rejects(keys.find('k'), CodeHostKeysUnavailable);
        now += 5_000;
      }
      served = { status: 200, body: `${list('k')}${' '.repeat(70 * 1024)}` };
      await assert.rejects(keys.find('k'), CodeHostKeysUnavailable);
      assert.equal(fetches, 3);
      now += 5_000;
      served = { status: 200, body: list('k') };
      assert.ok(await keys.find('k'));
    } finally {
      await keys.close();
    }
  });

  it('trusts only the public roots and the configured CA', async () => {
    served = { status: 200, body: list('k') };
    const keys = new FetchedCodeHostKeys(url);
    try {
      await assert.rejects(keys.find('k'), CodeHostKeysUnavailable);
    } finally {
      await keys.close();
    }
  });
});
