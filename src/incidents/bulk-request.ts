import type { Selection } from './credential-selection.ts';

export type BulkVerb = 'rotate' | 'revoke';

export interface BulkRequest {
  readonly verb: BulkVerb;
  readonly selection: Selection;
  readonly incidentId: string | null;
  /** Rotations only: how long the old secrets keep working (0: they fail at once). */
  readonly overlapSeconds: number;
  readonly reason: string | null;
  readonly dryRun: boolean;
}

/** The admin token and Idempotency-Key of the request (C8): the same key again resumes or replays. */
export interface BulkIdempotency {
  readonly actorId: string;
  readonly key: string;
  readonly requestHash: string;
}
