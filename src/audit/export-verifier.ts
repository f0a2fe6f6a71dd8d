import type { KeyObject } from 'node:crypto';
import { type CheckpointLine, type EntryLine, parseExportLine } from './audit-export.ts';
import { GENESIS_HASH } from './audit-schema.ts';
import {
  chainDigest,
  checkpointSignatureValid,
  entryDigest,
  GENESIS_DIGEST,
  purgedThrough,
} from './checkpoint-format.ts';

export type ExportBrokenReason =
  | 'malformed_line'
  | 'entry_modified'
  | 'entry_inserted'
  | 'entry_deleted'
  | 'entries_reordered'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_mismatch';

export interface ExportVerifyResult {
  ok: boolean;
  entries_checked: number;
  checkpoints_checked: number;
  /** The checkpoint the export starts after when older entries were purged; null from genesis. */
  started_after: number | null;
  /** The newest entry a valid checkpoint vouches for. */
  covered_through: number | null;
  /** Entries after the newest checkpoint: intact links, but no signature covers them. */
  uncovered_entries: number;
  first_broken: {
    line: number | null;
    seq: number | null;
    reason: ExportBrokenReason;
    detail: string;
  } | null;
  warnings: string[];
}

interface Numbered<T> {
  readonly line: number;
  readonly value: T;
}

class Broken extends Error {
  readonly reason: ExportBrokenReason;
  readonly line: number | null;
  readonly seq: number | null;

  constructor(reason: ExportBrokenReason, line: number | null, seq: number | null, detail: string) {
    super(detail);
    this.reason = reason;
    this.line = line;
    this.seq = seq;
  }
}

/**
 * Verifies an audit export (`audit-export.ts`) with nothing but the audit public key: every
 * checkpoint's signature, every entry's own digest, the order and links of the entries, and each
 * checkpoint against the digest chain. Reports the first problem by the kind of tampering it shows.
 */
export function verifyAuditExport(text: string, publicKey: KeyObject): ExportVerifyResult {
  const entries: Numbered<EntryLine>[] = [];
  const checkpoints: Numbered<CheckpointLine>[] = [];
  const counts = {
    entries: 0,
    checkpoints: 0,
    coveredThrough: null as number | null,
    startedAfter: null as number | null,
  };
  try {
    readLines(text, entries, checkpoints);
    const bySeq = checkSignatures(checkpoints, publicKey);
    counts.checkpoints = checkpoints.length;
    walk(entries, bySeq, counts);
    const last = entries.at(-1)?.value.seq ?? 0;
    const beyond = [...bySeq.values()].find((c) => c.value.seq > last);
    if (beyond && entries.length > 0)
      throw new Broken(
        'entry_deleted',
        beyond.line,
        beyond.value.seq,
        `checkpoint ${beyond.value.seq} covers entries after the last exported entry (${last}): entries were removed from the end`,
      );
  } catch (error) {
    if (!(error instanceof Broken)) throw error;
    return result(counts, entries, {
      line: error.line,
      seq: error.seq,
      reason: error.reason,
      detail: error.message,
    });
  }
  return result(counts, entries, null);
}

function readLines(text: string, entries: Numbered<EntryLine>[], checkpoints: Numbered<CheckpointLine>[]) {
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const parsed = parseExportLine(raw);
    if (typeof parsed === 'string')
      throw new Broken('malformed_line', index + 1, null, `line ${index + 1} is ${parsed}`);
    if (parsed.type === 'entry') entries.push({ line: index + 1, value: parsed });
    else checkpoints.push({ line: index + 1, value: parsed });
  }
}

/** Checkpoints by seq, each signature checked; two different checkpoints of one entry are a fork. */
function checkSignatures(checkpoints: Numbered<CheckpointLine>[], publicKey: KeyObject) {
  const bySeq = new Map<number, Numbered<CheckpointLine>>();
  for (const checkpoint of checkpoints) {
    const { type: _type, ...signed } = checkpoint.value;
    if (!checkpointSignatureValid(publicKey, signed))
      throw new Broken(
        'checkpoint_signature_invalid',
        checkpoint.line,
        signed.seq,
        `checkpoint ${signed.seq} (line ${checkpoint.line}) is not signed by this public key`,
      );
    const seen = bySeq.get(signed.seq);
    if (seen && (seen.value.hash !== signed.hash || seen.value.digest !== signed.digest))
      throw new Broken(
        'checkpoint_mismatch',
        checkpoint.line,
        signed.seq,
        `two different checkpoints of entry ${signed.seq}`,
      );
    bySeq.set(signed.seq, checkpoint);
  }
  return bySeq;
}

function walk(
  entries: Numbered<EntryLine>[],
  checkpoints: Map<number, Numbered<CheckpointLine>>,
  counts: { entries: number; coveredThrough: number | null; startedAfter: number | null },
) {
  const first = entries[0];
  if (!first) return;
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let digest = GENESIS_DIGEST;
  if (first.value.seq > 1) {
    const anchor = checkpoints.get(first.value.seq - 1);
    const recorded = entries.some((e) => purgedThrough(e.value) === first.value.seq - 1);
    if (!anchor || !recorded)
      throw new Broken(
        'entry_deleted',
        first.line,
        first.value.seq,
        `the export starts at entry ${first.value.seq}, and ${anchor ? 'no audit.purge entry records removing the ones before it' : 'no checkpoint covers the entry before it'}`,
      );
    counts.startedAfter = anchor.value.seq;
    expected = anchor.value.seq + 1;
    prevHash = anchor.value.hash;
    digest = anchor.value.digest;
  }
  const seqCount = new Map<number, number>();
  for (const e of entries) seqCount.set(e.value.seq, (seqCount.get(e.value.seq) ?? 0) + 1);
  const hashIndex = new Map(entries.map((e, index) => [e.value.hash, index]));

  for (const [index, { line, value: entry }] of entries.entries()) {
    const { type: _type, entry_digest: stated, ...fields } = entry;
    const own = entryDigest(fields);
    if (own !== stated)
      throw new Broken('entry_modified', line, entry.seq, `entry ${entry.seq} (line ${line}) was edited`);
    if (entry.seq !== expected) throw misplaced(entries, index, expected, seqCount);
    if (entry.prev_hash !== prevHash) {
      const linked = hashIndex.get(entry.prev_hash);
      const next = entries[index + 1];
      if ((linked !== undefined && linked < index - 1) || next?.value.prev_hash === prevHash)
        throw new Broken(
          'entry_inserted',
          line,
          entry.seq,
          `entries were inserted before entry ${entry.seq} (line ${line})`,
        );
      throw new Broken(
        'entry_deleted',
        line,
        entry.seq,
        `the entry that entry ${entry.seq} (line ${line}) follows is missing`,
      );
    }
    digest = chainDigest(digest, own);
    const checkpoint = checkpoints.get(entry.seq);
    if (checkpoint) {
      const { value } = checkpoint;
      if (value.entry_id !== entry.id || value.hash !== entry.hash || value.digest !== digest)
        throw new Broken(
          'checkpoint_mismatch',
          checkpoint.line,
          entry.seq,
          `checkpoint ${entry.seq} does not match the entries up to it: one of them was edited`,
        );
      counts.coveredThrough = entry.seq;
    }
    counts.entries++;
    expected = entry.seq + 1;
    prevHash = entry.hash;
  }
}

/** An entry whose seq is not the next one: a second claim to a seq, a gap, or entries out of order. */
function misplaced(
  entries: Numbered<EntryLine>[],
  index: number,
  expected: number,
  seqCount: Map<number, number>,
): Broken {
  const { line, value } = entries[index] as Numbered<EntryLine>;
  if ((seqCount.get(value.seq) ?? 0) > 1)
    return new Broken(
      'entry_inserted',
      line,
      value.seq,
      `a second entry ${value.seq} was inserted (line ${line})`,
    );
  const laterFillsGap = entries
    .slice(index + 1)
    .some((e) => e.value.seq >= expected && e.value.seq < value.seq);
  if (value.seq < expected || laterFillsGap)
    return new Broken(
      'entries_reordered',
      line,
      value.seq,
      `entry ${value.seq} (line ${line}) is out of order; expected entry ${expected}`,
    );
  return new Broken(
    'entry_deleted',
    line,
    value.seq,
    `entries ${expected}${value.seq - 1 > expected ? `-${value.seq - 1}` : ''} are missing before line ${line}`,
  );
}

function result(
  counts: {
    entries: number;
    checkpoints: number;
    coveredThrough: number | null;
    startedAfter: number | null;
  },
  entries: Numbered<EntryLine>[],
  broken: ExportVerifyResult['first_broken'],
): ExportVerifyResult {
  const covered = counts.coveredThrough ?? counts.startedAfter ?? 0;
  const uncovered = broken ? 0 : entries.filter((e) => e.value.seq > covered).length;
  const warnings: string[] = [];
  if (uncovered > 0)
    warnings.push(
      `${uncovered} entries after the last checkpoint (${covered || 'none'}) are not covered by a signature`,
    );
  if (!broken && entries.length === 0) warnings.push('the export holds no entries');
  return {
    ok: broken === null,
    entries_checked: counts.entries,
    checkpoints_checked: counts.checkpoints,
    started_after: counts.startedAfter,
    covered_through: counts.coveredThrough,
    uncovered_entries: uncovered,
    first_broken: broken,
    warnings,
  };
}
