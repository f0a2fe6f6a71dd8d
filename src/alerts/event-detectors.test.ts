import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SecurityEventTable } from '../monitor/security-event-schema.ts';
import type { AlertInput } from './alert-types.ts';
import { EventDetectors } from './event-detectors.ts';

function detectors() {
  const raised: AlertInput[] = [];
  const detector = new EventDetectors({
    raiser: { raise: async (input) => void raised.push(input) },
    threshold: 5,
    windowMs: 60_000,
  });
  let n = 0;
  const feed = (event: Partial<SecurityEventTable>, at: number) =>
    detector.observe({
      id: `e${++n}`,
      created_at: at,
      event: 'authentication_failed',
      source: 'gateway',
      credential_id: null,
      integrator_id: null,
      ip: '192.0.2.7',
      details_json: '{}',
      ...event,
    });
  return { raised, feed };
}

it('raises auth_failures per credential and per IP once the threshold is reached within the window', () => {
  const { raised, feed } = detectors();
  for (let i = 0; i < 4; i++) feed({ credential_id: 'k1' }, 1000 + i);
  assert.equal(raised.length, 0);
  feed({ credential_id: 'k1' }, 2000);
  assert.deepEqual(
    raised.map((alert) => [alert.rule, alert.subject]),
    [
      ['auth_failures', 'credential:k1'],
      ['auth_failures', 'ip:192.0.2.7'],
    ],
  );
  assert.deepEqual(raised[0]?.eventIds, ['e5']);
});

it('raises at 1×, 2×, 4×, 8× the threshold under a flood, so a flood costs few alert writes', () => {
  const { raised, feed } = detectors();
  for (let i = 0; i < 40; i++) feed({ ip: '198.51.100.1' }, 1000 + i);
  assert.deepEqual(
    raised.map((alert) => alert.details?.failures),
    [5, 10, 20, 40],
  );
});

it('starts counting again after the window, and ignores failures spread wider than it', () => {
  const { raised, feed } = detectors();
  for (let i = 0; i < 10; i++) feed({ ip: '203.0.113.9' }, i * 20_000);
  assert.equal(raised.length, 0);
});

it('maps admin, OAuth, plain-HTTP and signature-failure events to their rules', () => {
  const { raised, feed } = detectors();
  for (let i = 0; i < 5; i++) feed({ event: 'admin_authentication_failed', source: 'admin' }, 1000 + i);
  for (let i = 0; i < 5; i++)
    feed({ event: 'oauth_client_authentication_failed', credential_id: 'c1', ip: null }, 1000 + i);
  feed({ event: 'credential_over_plain_http', credential_id: 'k9' }, 1000);
  for (let i = 0; i < 5; i++)
    feed(
      {
        event: 'webhook_signature_failure',
        integrator_id: 'i1',
        ip: null,
        details_json: '{"webhook_id":"w1"}',
      },
      1000 + i,
    );
  assert.deepEqual(
    raised.map((alert) => `${alert.rule} ${alert.subject}`),
    [
      'admin_auth_failures ip:192.0.2.7',
      'auth_failures client:c1',
      'plain_http_credential credential:k9',
      'webhook_signature_failures integrator:i1/webhook:w1',
    ],
  );
});
