import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { linkHash } from './audit-chain.ts';
import { type AuditEntry, toEntry } from './audit-entry.ts';
import { checkpointLine, entryLine } from './audit-export.ts';
import { type AuditLogTable, GENESIS_HASH } from './audit-schema.ts';
import {
  auditKeyId,
  chainDigest,
  entryDigest,
  GENESIS_DIGEST,
  PURGE_ACTION,
  signCheckpoint,
} from './checkpoint-format.ts';
import { verifyAuditExport } from './export-verifier.ts';

const chainKey = createSecretKey(randomBytes(32));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyId = auditKeyId(publicKey);

/** A chain of `count` entries as the server would store them, with a checkpoint every `every` entries and at the end. */
function buildExport(count: number, every = 3, purgeThrough = 0): string[] {
  const entries: AuditEntry[] = [];
  const checkpoints: string[] = [];
  let prevHash = GENESIS_HASH;
  let digest = GENESIS_DIGEST;
  for (let seq = 1; seq <= count; seq++) {
    const purgeRecord = purgeThrough > 0 && seq === count;
    const row: Omit<AuditLogTable, 'hash'> = {
      seq,
      id: `entry-${seq}`,
      created_at: 1_700_000_000_000 + seq * 1000,
      actor_type: 'admin_token',
      actor_id: 'tok_1',
      actor_name: 'ops',
      action: purgeRecord ? PURGE_ACTION : 'key.create',
      target_type: 'api_key',
      target_id: `key_${seq}`,
      before_json: seq % 2 === 0 ? JSON.stringify({ name: `old ${seq}` }) : null,
      after_json: JSON.stringify(
        purgeRecord ? { through_seq: purgeThrough } : { name: `key ${seq}`, scopes: ['a'] },
      ),
      ip: '192.0.2.1',
      request_id: `req-${seq}`,
      prev_hash: prevHash,
    };
    const entry = toEntry({ ...row, hash: linkHash(chainKey, row) });
    entries.push(entry);
    prevHash = entry.hash;
    digest = chainDigest(digest, entryDigest(entry));
    if (seq % every === 0 || seq === count)
      checkpoints.push(
        checkpointLine(
          signCheckpoint(privateKey, {
            seq,
            entry_id: entry.id,
            hash: entry.hash,
            digest,
            time: new Date(1_700_000_000_000 + seq * 1000 + 1).toISOString(),
            key_id: keyId,
          }),
        ),
      );
  }
  const kept = entries.filter((e) => e.seq > purgeThrough);
  const keptCheckpoints = checkpoints.filter(
    (line) => (JSON.parse(line) as { seq: number }).seq >= purgeThrough,
  );
  return [...kept.map(entryLine), ...keptCheckpoints];
}

const verify = (lines: string[], key = publicKey) => verifyAuditExport(`${lines.join('\n')}\n`, key);
const entryCount = (lines: string[]) => lines.filter((l) => l.startsWith('{"type":"entry"')).length;
/** Re-serialises an entry line after `change`, with its entry digest recomputed (a careful forger). */
function forge(line: string, change: (entry: Record<string, unknown>) => void): string {
  const { type: _t, entry_digest: _d, ...entry } = JSON.parse(line) as Record<string, unknown>;
  change(entry);
  return entryLine(entry as unknown as AuditEntry);
}

describe('verifying an audit export offline', () => {
  it('passes an untouched export, with every entry covered by a signed checkpoint', () => {
    const result = verify(buildExport(10));
    assert.equal(result.ok, true, JSON.stringify(result.first_broken));
    assert.equal(result.entries_checked, 10);
    assert.equal(result.covered_through, 10);
    assert.equal(result.uncovered_entries, 0);
  });

  it('reports an edited entry by its line', () => {
    const lines = buildExport(6);
    lines[2] = (lines[2] as string).replace('"ops"', '"mallory"');
    assert.deepEqual(pick(verify(lines)), { reason: 'entry_modified', seq: 3, line: 3 });
  });

  it('reports an entry edited with its digest recomputed at the checkpoint that covers it', () => {
    const lines = buildExport(6);
    lines[1] = forge(lines[1] as string, (e) => {
      e.after = { name: 'forged' };
    });
    assert.deepEqual(pick(verify(lines)), { reason: 'checkpoint_mismatch', seq: 3, line: 7 });
  });

  it('reports an inserted entry, a deleted entry and reordered entries', () => {
    const lines = buildExport(6);
    const inserted = [...lines.slice(0, 3), lines[1] as string, ...lines.slice(3)];
    assert.equal(verify(inserted).first_broken?.reason, 'entry_inserted');
    const deleted = lines.filter((_, i) => i !== 3);
    assert.deepEqual(pick(verify(deleted)), { reason: 'entry_deleted', seq: 5, line: 4 });
    const swapped = [...lines];
    [swapped[1], swapped[2]] = [lines[2] as string, lines[1] as string];
    assert.deepEqual(pick(verify(swapped)), { reason: 'entries_reordered', seq: 3, line: 2 });
  });

  it('reports deleting the newest entries, and the oldest without a recorded purge', () => {
    const lines = buildExport(6);
    assert.equal(verify(lines.filter((_, i) => i !== 5)).first_broken?.reason, 'entry_deleted');
    assert.equal(verify(lines.filter((_, i) => i !== 0)).first_broken?.reason, 'entry_deleted');
    assert.equal(verify(lines.filter((_, i) => i > 2)).first_broken?.reason, 'entry_deleted');
  });

  it('passes an export that starts after a recorded purge, from the checkpoint it was purged to', () => {
    const result = verify(buildExport(8, 3, 3));
    assert.equal(result.ok, true, JSON.stringify(result.first_broken));
    assert.equal(result.started_after, 3);
    assert.equal(result.entries_checked, 5);
  });

  it('reports a checkpoint that was not signed by the public key given', () => {
    const other = generateKeyPairSync('ed25519').publicKey;
    assert.equal(verify(buildExport(4), other).first_broken?.reason, 'checkpoint_signature_invalid');
    const lines = buildExport(4);
    const last = lines.length - 1;
    lines[last] = (lines[last] as string).replace(/"digest":"[^"]+"/, '"digest":"AAAA"');
    assert.equal(verify(lines).first_broken?.reason, 'checkpoint_signature_invalid');
  });

  it('warns about entries after the last checkpoint, which no signature covers', () => {
    const lines = buildExport(5, 3).filter((line) => !line.includes('"seq":5,"entry_id"'));
    const result = verify(lines);
    assert.equal(result.ok, true, JSON.stringify(result.first_broken));
    assert.equal(result.covered_through, 3);
    assert.equal(result.uncovered_entries, 2);
    assert.match(result.warnings.join(), /2 entries after the last checkpoint/);
  });

  it('refuses lines that are not JSON, of an unknown type or with unsigned extra fields', () => {
    const lines = buildExport(3);
    for (const bad of [
      '{oops',
      '{"type":"note"}',
      (lines[0] as string).replace('{"type":"entry"', '{"type":"entry","x":1'),
    ]) {
      const tampered = [bad, ...lines.slice(1)];
      assert.equal(verify(tampered).first_broken?.reason, 'malformed_line', bad);
    }
  });

  it('detects any single edit, insertion, deletion or swap of entries (property)', () => {
    const fields = [
      'seq',
      'id',
      'time',
      'action',
      'target',
      'before',
      'after',
      'ip',
      'request_id',
      'prev_hash',
      'hash',
    ];
    const tampering = fc.oneof(
      fc.record({
        kind: fc.constant('edit' as const),
        at: fc.nat(),
        field: fc.constantFrom(...fields),
        recompute: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('insert' as const), from: fc.nat(), to: fc.nat() }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        tampering,
        (count, every, t) => {
          const lines = buildExport(count, every);
          const n = entryCount(lines);
          const out = [...lines];
          if (t.kind === 'edit') {
            const i = t.at % n;
            const change = (e: Record<string, unknown>) => {
              e[t.field] =
                t.field === 'seq'
                  ? (e.seq as number) + 100
                  : typeof e[t.field] === 'object'
                    ? { forged: true }
                    : 'forged';
            };
            out[i] = t.recompute
              ? forge(out[i] as string, change)
              : JSON.stringify({ ...JSON.parse(out[i] as string), ...mutated(out[i] as string, change) });
          } else if (t.kind === 'insert') {
            out.splice(t.to % (n + 1), 0, lines[t.from % n] as string);
          } else if (t.kind === 'delete') {
            out.splice(t.at % n, 1);
          } else {
            const a = t.a % n;
            const b = t.b % n;
            fc.pre(a !== b);
            [out[a], out[b]] = [lines[b] as string, lines[a] as string];
          }
          assert.equal(verify(out).ok, false, `${JSON.stringify(t)} went unnoticed`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

function mutated(line: string, change: (entry: Record<string, unknown>) => void): Record<string, unknown> {
  const entry = JSON.parse(line) as Record<string, unknown>;
  change(entry);
  return entry;
}

function pick(result: ReturnType<typeof verifyAuditExport>) {
  const broken = result.first_broken;
  return broken && { reason: broken.reason, seq: broken.seq, line: broken.line };
}
