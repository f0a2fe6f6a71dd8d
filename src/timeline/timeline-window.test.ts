import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { MAX_TIMELINE_WINDOW_MS, parseInstant, readTimelineWindow } from './timeline-window.ts';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');

it('reads every ISO 8601 instant as the moment it names, in UTC or with an offset', () => {
  fc.assert(
    fc.property(
      fc.date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('9000-12-31T23:59:59Z'),
        noInvalidDate: true,
      }),
      (date) => {
        assert.equal(parseInstant(date.toISOString(), NOW), date.getTime());
        const plusTwo = new Date(date.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
        assert.equal(parseInstant(plusTwo, NOW), date.getTime());
      },
    ),
  );
  assert.equal(parseInstant('2025-05-01', NOW), Date.parse('2025-05-01T00:00:00Z'));
  assert.equal(parseInstant('2025-05-01T12:30Z', NOW), Date.parse('2025-05-01T12:30:00Z'));
});

it('reads a duration as that long before now', () => {
  assert.equal(parseInstant('90s', NOW), NOW - 90_000);
  assert.equal(parseInstant('30m', NOW), NOW - 1_800_000);
  assert.equal(parseInstant('24h', NOW), NOW - 86_400_000);
  assert.equal(parseInstant('7d', NOW), NOW - 7 * 86_400_000);
});

it('refuses what is not an instant: days that do not exist, times without an offset, other units, signs, words', () => {
  for (const text of [
    '',
    'now',
    'yesterday',
    '2025-02-30',
    '0050-01-01',
    '2025-13-01',
    '2025-05-01T24:00:00Z',
    '2025-05-01T12:60:00Z',
    '2025-05-01T12:00:00',
    '2025-05-01 12:00:00Z',
    '20250501',
    '1y',
    '1w',
    '-1h',
    '+1h',
    '1.5h',
    '999999d',
    '1h ',
    '1714564800000',
  ])
    assert.equal(parseInstant(text, NOW), undefined, JSON.stringify(text));
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      const value = parseInstant(text, NOW);
      assert.ok(value === undefined || Number.isFinite(value));
    }),
  );
});

it('defaults to the day before now, and refuses a period that is empty, reversed or longer than 7 days', () => {
  assert.deepEqual(readTimelineWindow({}, NOW), {
    ok: true,
    window: { since: NOW - 86_400_000, until: NOW },
  });
  assert.deepEqual(readTimelineWindow({ since: '7d' }, NOW), {
    ok: true,
    window: { since: NOW - MAX_TIMELINE_WINDOW_MS, until: NOW },
  });
  const refused = (query: { since?: string; until?: string }) => {
    const reading = readTimelineWindow(query, NOW);
    assert.equal(reading.ok, false, JSON.stringify(query));
    return reading.ok ? [] : reading.errors.map((error) => error.field);
  };
  assert.deepEqual(refused({ since: '8d' }), ['querystring:/since']);
  assert.deepEqual(refused({ since: '1h', until: '2h' }), ['querystring:/since']);
  assert.deepEqual(refused({ since: '1h', until: '1h' }), ['querystring:/since']);
  assert.deepEqual(refused({ since: 'soon', until: 'later' }), ['querystring:/since', 'querystring:/until']);
  assert.deepEqual(refused({ until: '2025-06-01T00:00:00Z', since: '2025-05-01T00:00:00Z' }), [
    'querystring:/since',
  ]);
});
