import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSignatureFailureReporter, nodeHttpWebhookHandler } from '../src/webhooks/index.ts';
import { newSecret, signedHeaders } from './webhooks-fixtures.ts';

interface Report {
  headers: Record<string, string | string[] | undefined>;
  path: string;
  json: Record<string, unknown>;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('reporting signature failures to Gatehouse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-reporter-'));
  const reports: Report[] = [];
  let stall = false;
  let gatehouseUrl = '';
  let ca = '';
  const stub = (() => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return createServer({ cert: ca, key: readFileSync(join(dir, 'key.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        reports.push({
          headers: req.headers,
          path: req.url ?? '',
          json: JSON.parse(Buffer.concat(chunks).toString()),
        });
        if (!stall) res.writeHead(202).end();
      });
    });
  })();

  before(async () => {
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    gatehouseUrl = `https://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  after(async () => {
    stub.closeAllConnections();
    await new Promise((resolve) => stub.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a forged delivery is reported with the integrator’s key, the id and the reason; a genuine one is not', async () => {
    const apiKey = `gh_test_${newSecret().slice(6, 30)}`;
    const secret = newSecret();
    const report = createSignatureFailureReporter({ gatehouseUrl, apiKey, ca, endpointHint: '/hooks' });
    const receipts: string[] = [];
    const receiver = createHttpServer(
      nodeHttpWebhookHandler({
        secrets: secret,
        onEvent: () => {},
        reportSignatureFailure: report,
        logger: (r) => receipts.push(JSON.stringify(r)),
      }),
    );
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const body = '{"type":"order.paid"}';
    const forged = signedHeaders([newSecret()], body);
    const send = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers, body }).then((r) => r.status);
    assert.equal(await send(forged), 401);
    await until(() => reports.length === 1, 'the report');
    assert.equal(await send(signedHeaders([secret], body)), 200);
    receiver.close();

    const [first] = reports;
    assert.equal(first?.path, '/gatehouse/v1/webhooks/signature-failures');
    assert.equal(first?.headers['x-api-key'], apiKey);
    assert.deepEqual(first?.json, {
      webhook_id: forged['webhook-id'],
      reason: 'invalid_signature',
      endpoint_hint: '/hooks',
    });
    assert.equal(reports.length, 1);
    assert.ok(receipts.every((line) => !line.includes(apiKey)));
  });

  it('never throws and stays within its bounds when Gatehouse stalls or is unreachable', async () => {
    stall = true;
    const before = reports.length;
    const report = createSignatureFailureReporter({
      gatehouseUrl,
      apiKey: 'gh_test_key',
      ca,
      maxInFlight: 2,
      timeoutMs: 300,
    });
    for (let i = 0; i < 10; i++) report({ webhookId: `msg_${i}`, reason: 'invalid_signature' });
    await until(() => reports.length === before + 2, 'two reports in flight');
    await sleep(100);
    assert.equal(reports.length, before + 2, 'no more than maxInFlight at once');
    stall = false;

    const unreachable = createSignatureFailureReporter({ gatehouseUrl: 'https://127.0.0.1:9', apiKey: 'k' });
    assert.doesNotThrow(() => unreachable({ webhookId: 'msg', reason: 'invalid_signature' }));
    assert.throws(
      () => createSignatureFailureReporter({ gatehouseUrl: 'http://example.com', apiKey: 'k' }),
      TypeError,
    );
  });
});
