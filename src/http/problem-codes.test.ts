/**
 * The catalogue is the truth about problem codes: every code the source answers with is in it,
 * with the catalogue's status; every entry is answered somewhere; and the README says the same.
 * The source is read as text, at the call shapes that answer with a code, so a new code (or a
 * status that drifts) in any of them fails here, not in a client. `new ApiError(code, …)` and the
 * gateway's `refuse(res, record, code, …)` take their status from the catalogue, and the compiler
 * holds their codes to `ProblemCode`; the scan still counts them as uses.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { isProblemCode, PROBLEM_CODES, type ProblemCode } from './problem-codes.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const CODE = "'([a-z][a-z_]*)'";
const STATUS = '(\\d{3})';

/** Call shapes that name a status and then a code: the status must be the catalogue's. */
const WITH_STATUS: readonly RegExp[] = [
  new RegExp(`refuse\\(\\s*[\\w.]+,\\s*[\\w.]+,\\s*${STATUS},\\s*${CODE}`, 'g'),
  new RegExp(`sendProblem\\(\\s*(?:[\\w.]+,\\s*){0,3}${STATUS},\\s*${CODE}`, 'g'),
  new RegExp(`\\bfailure\\(\\s*${STATUS},\\s*${CODE}`, 'g'),
  new RegExp(`status: ${STATUS},\\s*code: ${CODE}`, 'g'),
];
/** A table keyed by code whose entries carry the status (`ROUTE_REFUSALS`). */
const KEYED = new RegExp(`([a-z][a-z_]*): \\{\\s*status: ${STATUS},\\s*detail:`, 'g');
/** Shapes that name a code whose status is set elsewhere (or looked up in the catalogue). */
const CODE_ONLY: readonly RegExp[] = [
  new RegExp(`(?<!status: \\d{3},\\s*)\\bcode: ${CODE}`, 'g'),
  new RegExp(`\\brefusal\\(\\s*${CODE}`, 'g'),
  new RegExp(`refuse\\(\\s*[\\w.]+,\\s*[\\w.]+,\\s*${CODE}`, 'g'),
  new RegExp(`new ApiError\\(\\s*${CODE}`, 'g'),
];

interface Use {
  readonly code: string;
  readonly status: number | null;
  readonly where: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') && path !== join(SRC, 'http/problem-codes.ts')
      ? [path]
      : [];
  });
}

function usesIn(path: string): Use[] {
  const text = readFileSync(path, 'utf8');
  const where = relative(ROOT, path);
  const uses: Use[] = [];
  const at = (index: number) => `${where}:${text.slice(0, index).split('\n').length}`;
  for (const shape of WITH_STATUS)
    for (const m of text.matchAll(shape))
      uses.push({ code: m[2] as string, status: Number(m[1]), where: at(m.index) });
  for (const m of text.matchAll(KEYED))
    uses.push({ code: m[1] as string, status: Number(m[2]), where: at(m.index) });
  for (const shape of CODE_ONLY)
    for (const m of text.matchAll(shape))
      uses.push({ code: m[1] as string, status: null, where: at(m.index) });
  return uses;
}

const uses = sourceFiles(SRC).flatMap(usesIn);

describe('the problem-code catalogue', () => {
  it('finds the codes where src/ answers with them (the scan is not vacuous)', () => {
    assert.ok(uses.length >= 85, `only ${uses.length} uses found: has a call shape changed?`);
    assert.ok(new Set(uses.map((use) => use.code)).size >= 50);
    assert.ok(uses.filter((use) => use.status !== null).length >= 35);
    const shapes = ['src/gateway/route-table.ts', 'src/admin/problem-replies.ts', 'src/http/raw-problem.ts'];
    for (const file of shapes)
      assert.ok(
        uses.some((use) => use.where.startsWith(file)),
        `nothing in ${file}`,
      );
  });

  it('holds every code src/ answers with, at the catalogue’s status', () => {
    const unknown = uses.filter((use) => !isProblemCode(use.code));
    assert.deepEqual(
      unknown.map((use) => `${use.code} at ${use.where}`),
      [],
      'codes missing from src/http/problem-codes.ts',
    );
    const drifted = uses.filter(
      (use) => use.status !== null && use.status !== PROBLEM_CODES[use.code as ProblemCode].status,
    );
    assert.deepEqual(
      drifted.map((use) => `${use.code} answered ${use.status} at ${use.where}`),
      [],
      'statuses other than the catalogue’s',
    );
  });

  it('lists no code src/ never answers with', () => {
    const used = new Set(uses.map((use) => use.code));
    assert.deepEqual(
      Object.keys(PROBLEM_CODES).filter((code) => !used.has(code)),
      [],
    );
  });

  it('is frozen, with a status, title and meaning for every code', () => {
    assert.ok(Object.isFrozen(PROBLEM_CODES));
    for (const [code, entry] of Object.entries(PROBLEM_CODES)) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      assert.ok(Object.isFrozen(entry), code);
      assert.ok(entry.status >= 400 && entry.status <= 599, code);
      assert.ok(entry.title.length > 0 && entry.meaning.length > 0, code);
      assert.ok(entry.surfaces.length > 0, code);
    }
  });
});

/** `| 401 | `a`, `b` | … |` rows of the README's tables of problem codes. */
function readmeRows(readme: string): { status: number; codes: string[]; line: number }[] {
  return readme.split('\n').flatMap((text, index) => {
    const row = /^\|\s*(\d{3})\s*\|([^|]*)\|/.exec(text);
    if (!row) return [];
    const codes = [...(row[2] as string).matchAll(/`([a-z][a-z_]*)`/g)].map((m) => m[1] as string);
    return codes.length > 0 ? [{ status: Number(row[1]), codes, line: index + 1 }] : [];
  });
}

const readmes = ['README.md', ...readdirSync(SRC).map((folder) => `src/${folder}/README.md`)].flatMap(
  (path) => {
    try {
      return [{ path, text: readFileSync(join(ROOT, path), 'utf8') }];
    } catch {
      return [];
    }
  },
);

describe('the README and the catalogue', () => {
  const rows = readmeRows(readmes.find((readme) => readme.path === 'README.md')?.text ?? '');

  it('has a table row for every code the gateway answers with, at the catalogue’s status', () => {
    assert.ok(rows.length >= 20, 'the gateway table of the README was not found');
    const wrong = rows.flatMap(({ status, codes, line }) =>
      codes
        .filter((code) => !isProblemCode(code) || PROBLEM_CODES[code].status !== status)
        .map((code) => `README.md:${line}: ${status} ${code}`),
    );
    assert.deepEqual(wrong, [], 'README rows that disagree with the catalogue');
    const documented = new Set(rows.flatMap((row) => row.codes));
    const gateway = Object.entries(PROBLEM_CODES).filter(([, entry]) =>
      (entry.surfaces as readonly string[]).includes('gateway'),
    );
    assert.deepEqual(
      gateway.map(([code]) => code).filter((code) => !documented.has(code)),
      [],
      'gateway codes without a row in the README',
    );
  });

  it('names each code in its prose (“403 `https_required`”) with the catalogue’s status', () => {
    const mentions = readmes.flatMap(({ path, text }) =>
      [...text.matchAll(/\b(\d{3}) `([a-z][a-z_]*)`/g)]
        .filter((m) => isProblemCode(m[2] as string))
        .map((m) => ({ status: Number(m[1]), code: m[2] as ProblemCode, where: path })),
    );
    assert.ok(mentions.length >= 10, `only ${mentions.length} mentions found`);
    assert.deepEqual(
      mentions
        .filter((m) => PROBLEM_CODES[m.code].status !== m.status)
        .map((m) => `${m.where}: ${m.status} ${m.code}`),
      [],
    );
  });
});
