import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevelopmentCertificate } from '../tls/development-certificate.ts';
import { CodeHostKeysUnavailable, FetchedCodeHostKeys } from './code-host-keys.ts';

const pemOf = (type: 'ec' | 'rsa') =>
  (type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 })
  ).publicKey
    .export({ type: 'spki', format: 'pem' })
    .toString();

/** A key server that is slow, redirects, or lists a key of another type. */
describe('the code host’s key server misbehaving', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let ca: string;
  let handle: (path: string, res: ServerResponse) => void = () => {};
  const drips: NodeJS.Timeout[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-review-keys-'));
    const tls = await ensureDevelopmentCertificate(dir);
    ca = readFileSync(tls.caFile, 'utf8');
    server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (req, res) =>
      handle(req.url ?? '/', res),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const drip of drips) clearInterval(drip);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives up on a list that trickles in a byte a second: reports wait seconds, not minutes', async () => {
    handle = (_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"public_keys":[');
      const drip = setInterval(() => res.write(' '), 1_000);
      drips.push(drip);
      res.on('close', () => clearInterval(drip));
    };
    const keys = new FetchedCodeHostKeys(`${base}/slow`, { extraCa: ca });
    const started = Date.now();
    const outcome = await Promise.race([
      keys.find('any').then(
        () => 'answered',
        (error: unknown) => (error instanceof CodeHostKeysUnavailable ? 'unavailable' : String(error)),
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 12_000)),
    ]);
    await Promise.race([keys.close(), new Promise((resolve) => setTimeout(resolve, 500))]);
    assert.equal(outcome, 'unavailable', `after ${Date.now() - started} ms the report is ${outcome}`);
  });

  it('does not follow a redirect away from the configured URL (held)', async () => {
    let followed = false;
    handle = (path, res) => {
      if (path === '/moved') res.writeHead(302, { location: `${base}/elsewhere` }).end();
      else {
        followed = true;
        res.writeHead(200).end(JSON.stringify({ public_keys: [{ key_identifier: 'k', key: pemOf('ec') }] }));
      }
    };
    const keys = new FetchedCodeHostKeys(`${base}/moved`, { extraCa: ca });
    await assert.rejects(keys.find('k'), CodeHostKeysUnavailable);
    assert.equal(followed, false);
    await keys.close();
  });

  it('still uses the P-256 keys of a list that also holds a key of another type', async () => {
    const list = JSON.stringify({
      public_keys: [
        { key_identifier: 'current-p256', key: pemOf('ec'), is_current: true },
        { key_identifier: 'future-rsa', key: pemOf('rsa'), is_current: false },
      ],
    });
    handle = (_path, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(list);
    const keys = new FetchedCodeHostKeys(`${base}/mixed`, { extraCa: ca });
    try {
      assert.ok(await keys.find('current-p256'), 'the P-256 key is found');
    } finally {
      await keys.close();
    }
  });
});
