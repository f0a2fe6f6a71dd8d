import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IncidentWithEntries } from './incident.ts';
import { incidentReport } from './incident-report.ts';

const actor = { type: 'admin_token', id: 't1', name: 'alice' } as const;
const incident: IncidentWithEntries = {
  id: '0190c0de-0000-7000-8000-000000000001',
  title: 'Keys | pasted',
  severity: 'high',
  status: 'closed',
  summary: '# not a heading\nsecond line',
  resolution: 'rotated everything',
  opened_by: actor,
  version: 4,
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T01:00:00.000Z',
  closed_at: '2025-01-01T01:00:00.000Z',
  entries: [
    {
      id: 'e1',
      kind: 'opened',
      ref_id: 'i',
      text: null,
      details: { severity: 'high' },
      actor,
      created_at: '2025-01-01T00:00:00.000Z',
    },
    {
      id: 'e2',
      kind: 'note',
      ref_id: 'n',
      text: 'a | b\nnext',
      details: {},
      actor,
      created_at: '2025-01-01T00:01:00.000Z',
    },
    {
      id: 'e3',
      kind: 'action',
      ref_id: 'a1',
      text: null,
      details: {
        verb: 'rotate',
        status: 'done',
        selection: { environment: 'production' },
        overlap_seconds: 0,
        counts: { selected: 1, changed: 1, failed: 0, pending: 0 },
        credentials: [
          {
            kind: 'api_key',
            id: 'k1',
            name: 'billing',
            environment: 'production',
            integrator_id: 'i1',
            outcome: 'rotated',
          },
        ],
      },
      actor,
      created_at: '2025-01-01T00:02:00.000Z',
    },
    {
      id: 'e4',
      kind: 'closed',
      ref_id: 'i',
      text: 'rotated everything',
      details: {},
      actor,
      created_at: '2025-01-01T01:00:00.000Z',
    },
  ],
};

it('the Markdown report lists the timeline, the action with who did it, and the affected credentials, with cells escaped', () => {
  const report = incidentReport(incident);
  assert.match(report, /^# Incident report: Keys \\\| pasted\n/);
  assert.match(report, /\| 2025-01-01T00:01:00.000Z \| alice \| Note: a \\\| b next \|/);
  assert.match(
    report,
    /\| 2025-01-01T00:02:00.000Z \| alice \| rotate-all \(a1, done\) \| \{"environment":"production"\} \| 0 \| 1 \| 0 \|/,
  );
  assert.match(report, /\| api_key \| k1 \| billing \| production \| i1 \| bulk rotate \| rotated \|/);
  assert.match(report, /\\# not a heading/, 'operator text cannot add headings');
  assert.match(report, /## Resolution\n\nrotated everything/);
});
