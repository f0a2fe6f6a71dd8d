import { isoOrNull } from '../credentials/dates.ts';
import type { Environment } from '../environments/environment.ts';
import type { BulkRequest, BulkVerb } from './bulk-request.ts';
import type { BulkKind, CandidateCredential, Selection } from './credential-selection.ts';
import type { BulkActionItemTable, BulkActionTable } from './incident-schema.ts';

export type { BulkVerb } from './bulk-request.ts';
export type PlannedAction = BulkActionTable;

/** What happened (or, in a dry run, would happen) to one credential. */
export type BulkOutcome =
  | 'rotated'
  | 'revoked'
  | 'secret_replaced'
  | 'failed'
  | 'pending'
  | 'would_rotate'
  | 'would_revoke'
  | 'would_replace_secret';

export interface BulkCredentialResult {
  kind: BulkKind;
  id: string;
  integrator_id: string;
  environment: Environment;
  name: string;
  outcome: BulkOutcome;
  /** The refusal's problem code when the outcome is `failed` (e.g. revoked meanwhile). */
  error_code: string | null;
  /** The new secret: in the response of the run that finished the action only, never again. */
  secret: string | null;
  /** When the credential's previous secrets stop (or stopped) working. */
  old_secrets_end: string | null;
}

export interface BulkResult {
  /** The bulk action's id; null for a dry run, which records nothing. */
  id: string | null;
  action: BulkVerb;
  incident_id: string | null;
  dry_run: boolean;
  status: 'preview' | 'running' | 'done';
  selection: Selection;
  overlap_seconds: number | null;
  counts: { selected: number; changed: number; failed: number; pending: number };
  /** False when this answer repeats a finished action: its secrets went to the run that made them. */
  secrets_included: boolean;
  /** True when an Idempotency-Key named an action that had finished already. */
  replayed: boolean;
  created_at: string | null;
  finished_at: string | null;
  credentials: BulkCredentialResult[];
}

/** The outcome of a finished item: a webhook endpoint is never revoked, its secret is replaced. */
export function outcomeOf(verb: BulkVerb, replacesSecret: boolean): BulkOutcome {
  if (verb === 'rotate') return 'rotated';
  return replacesSecret ? 'secret_replaced' : 'revoked';
}

/** A dry run: what the action would change, nothing stored. */
export function previewOf(request: BulkRequest, chosen: readonly CandidateCredential[]): BulkResult {
  const would: BulkOutcome =
    request.verb === 'rotate' ? 'would_rotate' : ('would_revoke' satisfies BulkOutcome);
  return {
    id: null,
    action: request.verb,
    incident_id: request.incidentId,
    dry_run: true,
    status: 'preview',
    selection: request.selection,
    overlap_seconds: request.verb === 'rotate' ? request.overlapSeconds : null,
    counts: { selected: chosen.length, changed: 0, failed: 0, pending: 0 },
    secrets_included: false,
    replayed: false,
    created_at: null,
    finished_at: null,
    credentials: chosen.map((c) => ({
      kind: c.kind,
      id: c.id,
      integrator_id: c.integratorId,
      environment: c.environment,
      name: c.name,
      outcome: request.verb === 'revoke' && c.kind === 'webhook_endpoint' ? 'would_replace_secret' : would,
      error_code: null,
      secret: null,
      old_secrets_end: null,
    })),
  };
}

/** A stored action and its items as the API shows them; `reveal` opens each kept secret. */
export function resultOf(
  action: BulkActionTable,
  items: readonly BulkActionItemTable[],
  reveal: (item: BulkActionItemTable) => string | null,
  replay: boolean,
): BulkResult {
  const credentials = items.map(
    (item): BulkCredentialResult => ({
      kind: item.credential_kind as BulkKind,
      id: item.credential_id,
      integrator_id: item.integrator_id,
      environment: item.environment as Environment,
      name: item.name,
      outcome: (item.state === 'pending' ? 'pending' : item.outcome) as BulkOutcome,
      error_code: item.error_code,
      secret: reveal(item),
      old_secrets_end: isoOrNull(item.old_secrets_end === null ? null : Number(item.old_secrets_end)),
    }),
  );
  const count = (test: (c: BulkCredentialResult) => boolean) => credentials.filter(test).length;
  return {
    id: action.id,
    action: action.action as BulkVerb,
    incident_id: action.incident_id,
    dry_run: false,
    status: action.status as BulkResult['status'],
    selection: JSON.parse(action.selection_json) as Selection,
    overlap_seconds: action.overlap_seconds === null ? null : Number(action.overlap_seconds),
    counts: {
      selected: credentials.length,
      changed: count((c) => c.outcome !== 'failed' && c.outcome !== 'pending'),
      failed: count((c) => c.outcome === 'failed'),
      pending: count((c) => c.outcome === 'pending'),
    },
    secrets_included: !replay,
    replayed: false,
    created_at: isoOrNull(Number(action.created_at)),
    finished_at: isoOrNull(action.finished_at === null ? null : Number(action.finished_at)),
    credentials,
  };
}
