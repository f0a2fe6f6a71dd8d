import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AdminToken } from '../admin/admin-token.ts';
import { type AccessReviewSources, buildAccessReview } from './access-review.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const row = (id: string, fields: { created: number; issued: number; lastUsed: number | null }) => ({
  id,
  name: id,
  owner: null,
  environment: 'production' as const,
  scopes_json: '["orders:read"]',
  expires_at: null,
  last_used_at: fields.lastUsed,
  integrator_id: 'integrator-1',
  created_at: fields.created,
  issued_at: fields.issued,
});
const token = (id: string, fields: Partial<AdminToken>): AdminToken => ({
  id,
  name: id,
  role: 'admin',
  hint: 'gate_adm_abcd…',
  source: 'api',
  status: 'active',
  created_at: new Date(NOW - 100 * DAY).toISOString(),
  created_by: null,
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  ...fields,
});

const sources: AccessReviewSources = {
  keys: {
    store: {
      unrevokedForReview: async () => [
        row('fresh', { created: NOW - 10 * DAY, issued: NOW - 10 * DAY, lastUsed: NOW - DAY }),
        row('old-secret', { created: NOW - 200 * DAY, issued: NOW - 91 * DAY, lastUsed: NOW - DAY }),
        row('never-used', { created: NOW - 31 * DAY, issued: NOW - 31 * DAY, lastUsed: null }),
        row('rotated-not-used', { created: NOW - 100 * DAY, issued: NOW - DAY, lastUsed: NOW - 40 * DAY }),
      ],
    },
  },
  clients: { store: { unrevokedForReview: async () => [] } },
  integrators: { get: async () => ({ name: 'Acme', status: 'active' }) as never },
  usage: {
    addressSummaries: async () =>
      new Map([['fresh', { count: 7, recent: [{ ip: '192.0.2.9', firstSeen: 0, lastSeen: 0, count: 1 }] }]]),
  },
  adminTokens: {
    list: async () => [
      token('owner', { role: 'owner', last_used_at: new Date(NOW - 2 * DAY).toISOString() }),
      token('idle-auditor', { role: 'auditor' }),
      token('gone', { status: 'revoked', revoked_at: new Date(NOW - DAY).toISOString() }),
    ],
  },
  policy: { rotationAgeMs: 90 * DAY, unusedAfterMs: 30 * DAY },
};

it('rotation due is the current secret’s age past the policy; unused counts from creation when never used', async () => {
  const review = await buildAccessReview(sources, NOW);
  const byId = new Map(review.data.map((entry) => [entry.id, entry]));
  assert.deepEqual(
    review.data.map((entry) => [entry.id, entry.rotation_due, entry.unused, entry.age_days]),
    [
      ['fresh', false, false, 10],
      ['old-secret', true, false, 91],
      ['never-used', false, true, 31],
      ['rotated-not-used', false, true, 1],
    ],
  );
  assert.equal(byId.get('fresh')?.ips_seen, 7);
  assert.deepEqual(byId.get('fresh')?.recent_ips, ['192.0.2.9']);
  assert.equal(byId.get('never-used')?.ips_seen, 0);
  assert.deepEqual(review.policy, { rotation_age_days: 90, unused_after_days: 30 });
});

it('lists every admin token not revoked with its role and last use, never its hint', async () => {
  const review = await buildAccessReview(sources, NOW);
  assert.deepEqual(
    review.admin_tokens.map((admin) => [admin.id, admin.role, admin.days_since_last_use, admin.unused]),
    [
      ['owner', 'owner', 2, false],
      ['idle-auditor', 'auditor', null, true],
    ],
  );
  assert.ok(!JSON.stringify(review).includes('gate_adm_'), 'no hint of a token');
});
