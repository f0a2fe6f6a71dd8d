/** How one checklist item came out: `warn` is worth a look, `fail` makes `doctor` exit 1. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One item of the security checklist (O1), as `doctor`, the admin API and the console show it. */
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found, naming settings and ids, never a secret's value. */
  readonly detail: string;
  /** What to change; empty when the item passes. */
  readonly fix: string;
}

export interface ChecklistReport {
  /** The worst status of any item. */
  readonly status: CheckStatus;
  readonly checked_at: string;
  readonly checks: readonly CheckResult[];
}

const RANK: Readonly<Record<CheckStatus, number>> = { pass: 0, warn: 1, fail: 2 };

/** The report of a set of results: its status is the worst of theirs. */
export function reportOf(checks: readonly CheckResult[], now = Date.now()): ChecklistReport {
  const status = checks.reduce<CheckStatus>(
    (worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst),
    'pass',
  );
  return { status, checked_at: new Date(now).toISOString(), checks };
}
