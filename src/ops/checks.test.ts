import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckStatus } from './checklist-report.ts';
import { CONFIG_CHECKS, evaluate, SERVER_CHECKS } from './checks.ts';
import type { ConfigFacts } from './config-facts.ts';
import type { ServerFacts } from './server-facts.ts';

const DAY = 86_400_000;

/** The facts of the documented production example: every check passes on them. */
const PRODUCTION: ConfigFacts = {
  mode: 'production',
  secrets: [
    { name: 'GATEHOUSE_PEPPER', source: 'file', placeholder: false },
    { name: 'GATEHOUSE_ENCRYPTION_KEYS', source: 'file', placeholder: false },
    { name: 'GATEHOUSE_ADMIN_TOKEN', source: 'absent', placeholder: false },
  ],
  certificate: {
    kind: 'file',
    subject: 'CN=api.example.com',
    issuer: 'CN=Example CA',
    selfSigned: false,
    developmentCa: false,
    daysLeft: 80,
  },
  adminHost: '127.0.0.1',
  exposedDataFiles: [],
  certificateValidationDisabled: false,
  redactionLeaks: [],
  retention: {
    USAGE: 90 * DAY,
    WEBHOOK_PAYLOADS: 30 * DAY,
    SECURITY_EVENTS: 365 * DAY,
    ALERTS: 365 * DAY,
    IDEMPOTENCY: DAY,
    AUDIT: null,
  },
  rotationAgeMs: 90 * DAY,
  database: 'postgres',
  redis: true,
  declaredInstances: 3,
};
const RUNNING: ServerFacts & { rotationAgeMs: number } = {
  plainHttp: [
    { listener: 'data port', refused: true, answer: 'HTTP 400' },
    { listener: 'admin port', refused: true, answer: 'closed' },
  ],
  endpoints: [{ id: 'we_1', url: 'https://hooks.example.com/in', signingSecrets: 1 }],
  sinkTypes: ['email', 'log'],
  overdueCredentials: [],
  rotationAgeMs: 90 * DAY,
};

function statuses(config: ConfigFacts, server: typeof RUNNING): Map<string, CheckStatus> {
  return new Map(
    [...evaluate(CONFIG_CHECKS, config), ...evaluate(SERVER_CHECKS, server)].map((r) => [r.id, r.status]),
  );
}

/** One weakness each: the check it must flip, and to what. */
const WEAKNESSES: readonly [string, Partial<ConfigFacts> | null, Partial<ServerFacts> | null, CheckStatus][] =
  [
    ['production_mode', { mode: 'development' }, null, 'fail'],
    [
      'secrets_configured',
      { secrets: [{ name: 'GATEHOUSE_PEPPER', source: 'generated', placeholder: false }] },
      null,
      'fail',
    ],
    [
      'secrets_configured',
      { secrets: [{ name: 'GATEHOUSE_PEPPER', source: 'environment', placeholder: true }] },
      null,
      'fail',
    ],
    ['tls_certificate', { certificate: { kind: 'development' } }, null, 'fail'],
    [
      'tls_certificate',
      {
        certificate: {
          ...(PRODUCTION.certificate as object),
          selfSigned: true,
        } as ConfigFacts['certificate'],
      },
      null,
      'fail',
    ],
    [
      'tls_certificate',
      { certificate: { kind: 'unusable', problem: 'the key file does not belong to the certificate' } },
      null,
      'fail',
    ],
    [
      'tls_certificate',
      { certificate: { ...(PRODUCTION.certificate as object), daysLeft: 3 } as ConfigFacts['certificate'] },
      null,
      'warn',
    ],
    ['admin_port_private', { adminHost: '0.0.0.0' }, null, 'fail'],
    ['admin_port_private', { adminHost: '203.0.113.7' }, null, 'fail'],
    ['admin_port_private', { adminHost: '10.1.2.3' }, null, 'warn'],
    ['admin_port_private', { adminHost: '::' }, null, 'fail'],
    ['admin_port_private', { adminHost: '::ffff:8.8.8.8' }, null, 'fail'],
    ['admin_port_private', { adminHost: 'fd00::1' }, null, 'warn'],
    ['admin_port_private', { adminHost: 'gatehouse-admin.internal' }, null, 'warn'],
    ['data_dir_private', { exposedDataFiles: ['/srv/data/gatehouse.sqlite (mode 644)'] }, null, 'fail'],
    ['certificate_validation', { certificateValidationDisabled: true }, null, 'fail'],
    ['log_redaction', { redactionLeaks: ['URL query'] }, null, 'fail'],
    ['retention_set', { retention: { ...PRODUCTION.retention, USAGE: null } }, null, 'fail'],
    ['rotation_policy', { rotationAgeMs: 400 * DAY }, null, 'fail'],
    ['shared_state', { declaredInstances: 3, redis: false }, null, 'fail'],
    ['shared_state', { declaredInstances: 2, database: 'sqlite' }, null, 'fail'],
    [
      'plain_http_refused',
      null,
      { plainHttp: [{ listener: 'data port', refused: false, answer: 'HTTP 200' }] },
      'fail',
    ],
    [
      'webhook_endpoints_signed',
      null,
      { endpoints: [{ id: 'we_2', url: 'http://hooks.example.com/in', signingSecrets: 1 }] },
      'fail',
    ],
    [
      'webhook_endpoints_signed',
      null,
      { endpoints: [{ id: 'we_3', url: 'https://hooks.example.com/in', signingSecrets: 0 }] },
      'fail',
    ],
    ['alert_sink', null, { sinkTypes: [] }, 'fail'],
    ['alert_sink', null, { sinkTypes: ['log'] }, 'warn'],
    ['credential_age', null, { overdueCredentials: [{ id: 'key_1', ageDays: 120 }] }, 'fail'],
  ];

describe('the security checklist (O1)', () => {
  it('passes every item on the production example', () => {
    const results = statuses(PRODUCTION, RUNNING);
    assert.deepEqual(
      [...results].filter(([, status]) => status !== 'pass'),
      [],
    );
  });

  it('has a weakness below for every check, so none of them can only pass', () => {
    const flipped = new Set(WEAKNESSES.map(([id]) => id));
    assert.deepEqual(
      [...statuses(PRODUCTION, RUNNING).keys()].filter((id) => !flipped.has(id)),
      [],
    );
  });

  for (const [id, config, server, expected] of WEAKNESSES) {
    it(`${id} turns ${expected} on ${JSON.stringify(config ?? server)}, and nothing else changes`, () => {
      const results = statuses({ ...PRODUCTION, ...config }, { ...RUNNING, ...server });
      const changed = [...results].filter(([, status]) => status !== 'pass');
      assert.deepEqual(changed, [[id, expected]]);
    });
  }

  it('takes every spelling of loopback for loopback', () => {
    for (const adminHost of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '::ffff:127.0.0.1',
      'localhost',
      'LocalHost',
    ]) {
      assert.equal(
        statuses({ ...PRODUCTION, adminHost }, RUNNING).get('admin_port_private'),
        'pass',
        adminHost,
      );
    }
  });

  it('names what to fix for every item that does not pass, and never leaves a passing item a fix', () => {
    const weak = { ...PRODUCTION, mode: 'development' as const, adminHost: '0.0.0.0' };
    for (const result of [...evaluate(CONFIG_CHECKS, weak), ...evaluate(SERVER_CHECKS, RUNNING)]) {
      if (result.status === 'pass') assert.equal(result.fix, '', result.id);
      else assert.ok(result.fix.length > 10, result.id);
    }
  });
});
