import type { AuditEntry } from './audit-entry.ts';
import { type AuditCheckpoint, entryDigest } from './checkpoint-format.ts';

/**
 * The export format of `gatehouse audit export` (JSON Lines, UTF-8): one line per entry, oldest
 * first, then one line per checkpoint, oldest first. Every line is one JSON object tagged by `type`:
 *
 *   {"type":"entry", …the entry as `GET /admin/v1/audit` lists it…, "entry_digest":"…"}
 *   {"type":"checkpoint","seq":…,"entry_id":"…","hash":"…","digest":"…","time":"…","key_id":"…","signature":"…"}
 *
 * `entry_digest` is SHA-256 of the entry's fields, so an edited line is pinned down on its own;
 * each checkpoint's Ed25519 signature covers the digest chain through its entry, so an entry
 * edited together with its digest is still found.
 */
export interface EntryLine extends AuditEntry {
  type: 'entry';
  entry_digest: string;
}

export interface CheckpointLine extends AuditCheckpoint {
  type: 'checkpoint';
}

export type ExportLine = EntryLine | CheckpointLine;

export function entryLine(entry: AuditEntry): string {
  const line: EntryLine = { type: 'entry', ...entry, entry_digest: entryDigest(entry) };
  return JSON.stringify(line);
}

export function checkpointLine(checkpoint: AuditCheckpoint): string {
  const line: CheckpointLine = { type: 'checkpoint', ...checkpoint };
  return JSON.stringify(line);
}

const ENTRY_FIELDS = [
  'type',
  'seq',
  'id',
  'time',
  'actor',
  'action',
  'target',
  'before',
  'after',
  'ip',
  'request_id',
  'prev_hash',
  'hash',
  'entry_digest',
];
const CHECKPOINT_FIELDS = ['type', 'seq', 'entry_id', 'hash', 'digest', 'time', 'key_id', 'signature'];

/** One line of an export, or a reason it is not one. Unknown fields are refused: nothing unsigned rides along. */
export function parseExportLine(text: string): ExportLine | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const line = value as Record<string, unknown>;
  if (line.type === 'entry')
    return validEntry(line) ? (line as unknown as EntryLine) : 'not a valid entry line';
  if (line.type === 'checkpoint')
    return validCheckpoint(line) ? (line as unknown as CheckpointLine) : 'not a valid checkpoint line';
  return 'its type is neither "entry" nor "checkpoint"';
}

function validEntry(line: Record<string, unknown>): boolean {
  const actor = line.actor as Record<string, unknown> | null;
  const target = line.target as Record<string, unknown> | null;
  return (
    exactKeys(line, ENTRY_FIELDS) &&
    isSeq(line.seq) &&
    allStrings(line, ['id', 'time', 'action', 'prev_hash', 'hash', 'entry_digest']) &&
    nullableStrings(line, ['ip', 'request_id']) &&
    typeof actor === 'object' &&
    actor !== null &&
    exactKeys(actor, ['type', 'id', 'name']) &&
    allStrings(actor, ['type', 'name']) &&
    nullableStrings(actor, ['id']) &&
    typeof target === 'object' &&
    target !== null &&
    exactKeys(target, ['type', 'id']) &&
    allStrings(target, ['type']) &&
    nullableStrings(target, ['id'])
  );
}

function validCheckpoint(line: Record<string, unknown>): boolean {
  return (
    exactKeys(line, CHECKPOINT_FIELDS) &&
    isSeq(line.seq) &&
    allStrings(line, ['entry_id', 'hash', 'digest', 'time', 'key_id', 'signature'])
  );
}

const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;
const allStrings = (o: Record<string, unknown>, keys: string[]) =>
  keys.every((k) => typeof o[k] === 'string');
const nullableStrings = (o: Record<string, unknown>, keys: string[]) =>
  keys.every((k) => o[k] === null || typeof o[k] === 'string');

function exactKeys(o: object, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(o, key));
}
