import type { FieldError } from '../http/api-error.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The longest period one timeline request covers; a longer one is refused, not cut. */
export const MAX_TIMELINE_WINDOW_MS = 7 * DAY_MS;
/** Without `since`: this long before `until`. */
export const DEFAULT_TIMELINE_WINDOW_MS = DAY_MS;

const RELATIVE = /^(\d{1,5})(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };
// A calendar date, optionally with a time of day that then needs its offset (`Z` or `±hh:mm`).
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A half-open period [since, until) in epoch milliseconds. */
export interface TimelineWindow {
  readonly since: number;
  readonly until: number;
}

export type WindowReading =
  | { readonly ok: true; readonly window: TimelineWindow }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/**
 * Reads one instant: an ISO 8601 date (`2025-05-01`, midnight UTC) or date-time with its offset
 * (`2025-05-01T12:00:00Z`, `…+02:00`), or a duration before `now` (`90s`, `30m`, `24h`, `7d`).
 * Undefined for anything else, including dates that do not exist (`2025-02-30`).
 */
export function parseInstant(text: string, now: number): number | undefined {
  const relative = RELATIVE.exec(text);
  if (relative) return now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  const iso = ISO_INSTANT.exec(text);
  if (!iso) return undefined;
  const [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day
  )
    return undefined;
  if (iso[4] !== undefined && (Number(iso[4]) > 23 || Number(iso[5]) > 59 || Number(iso[6] ?? 0) > 59))
    return undefined;
  const parsed = Date.parse(text);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * The period a timeline covers: `until` defaults to now, `since` to a day before `until`; `since`
 * must come before `until`, and the two at most {@link MAX_TIMELINE_WINDOW_MS} apart.
 */
export function readTimelineWindow(
  query: { since?: string | undefined; until?: string | undefined },
  now: number,
): WindowReading {
  const errors: FieldError[] = [];
  const read = (name: 'since' | 'until'): number | undefined => {
    const text = query[name];
    if (text === undefined) return undefined;
    const value = parseInstant(text, now);
    if (value === undefined)
      errors.push({
        field: `querystring:/${name}`,
        message:
          'must be an ISO 8601 date-time with offset (2025-05-01T12:00:00Z) or a duration ago (30m, 24h, 7d)',
      });
    return value;
  };
  const givenSince = read('since');
  const givenUntil = read('until');
  if (errors.length > 0) return { ok: false, errors };
  const until = givenUntil ?? now;
  const since = givenSince ?? until - DEFAULT_TIMELINE_WINDOW_MS;
  if (since >= until)
    return { ok: false, errors: [{ field: 'querystring:/since', message: 'must be before until' }] };
  if (until - since > MAX_TIMELINE_WINDOW_MS)
    return {
      ok: false,
      errors: [{ field: 'querystring:/since', message: 'must be at most 7 days before until' }],
    };
  return { ok: true, window: { since, until } };
}
