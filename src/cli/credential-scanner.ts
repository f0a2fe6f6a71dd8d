import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_MARKER } from '../admin/admin-token-service.ts';
import { findGatehouseCredentials } from '../crypto/credential-finder.ts';
import { credentialHint } from '../crypto/key-format.ts';
import { MARKER_ENVIRONMENT } from '../keys/api-key.ts';
import { CLIENT_SECRET_MARKER } from '../oauth/oauth-client.ts';

/** One credential found in a text: where, and what kind; never the credential itself. */
export interface Finding {
  readonly line: number;
  readonly column: number;
  /** Prefix, marker and the first characters: enough to tell keys apart, too little to use one. */
  readonly hint: string;
  readonly kind: string;
}

export interface FileFinding extends Finding {
  readonly file: string;
}

export interface ScanReport {
  readonly findings: FileFinding[];
  filesScanned: number;
  /** Paths that could not be read, with why. */
  readonly unreadable: { readonly path: string; readonly reason: string }[];
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** A NUL byte this early means a binary file (git's own test). */
const BINARY_SNIFF_BYTES = 8000;

/**
 * Finds Gatehouse credentials in a text (O2). A candidate counts only when its checksum holds, so
 * random strings of the same shape are not reported (near-zero false positives). With `prefix`,
 * only that deployment's credentials count.
 */
export function findCredentials(text: string, prefix?: string): Finding[] {
  return findWithSecrets(text, prefix).map(({ finding }) => finding);
}

function findWithSecrets(text: string, prefix?: string): { finding: Finding; secret: string }[] {
  return findGatehouseCredentials(text, prefix).map((match) => ({
    finding: {
      line: countLines(text, match.index),
      column: match.index - text.lastIndexOf('\n', match.index - 1),
      hint: credentialHint(match.value),
      kind: kindOf(match.marker),
    },
    secret: match.value,
  }));
}

/**
 * Scans files and directories (recursively, skipping `.git`, `node_modules`, binaries and huge files).
 * The report never holds a secret; `onSecret` is handed each found one beside its finding (for
 * `--check`, which sends them to the server in a request body).
 */
export async function scanPaths(
  paths: readonly string[],
  prefix?: string,
  onSecret?: (finding: FileFinding, secret: string) => void,
): Promise<ScanReport> {
  const report: ScanReport = { findings: [], filesScanned: 0, unreadable: [] };
  const visit = async (path: string): Promise<void> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      report.unreadable.push({ path, reason: (error as NodeJS.ErrnoException).code ?? 'error' });
      return;
    }
    if (info.isDirectory()) {
      let entries: Dirent[];
      try {
        entries = await readdir(path, { withFileTypes: true });
      } catch (error) {
        report.unreadable.push({ path, reason: (error as NodeJS.ErrnoException).code ?? 'error' });
        return;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (entry.isSymbolicLink() || (entry.isDirectory() && SKIPPED_DIRECTORIES.has(entry.name))) continue;
        if (entry.isDirectory() || entry.isFile()) await visit(join(path, entry.name));
      }
      return;
    }
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return;
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      report.unreadable.push({ path, reason: (error as NodeJS.ErrnoException).code ?? 'error' });
      return;
    }
    if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return;
    report.filesScanned++;
    for (const { finding, secret } of findWithSecrets(bytes.toString('utf8'), prefix)) {
      const located = { file: path, ...finding };
      report.findings.push(located);
      onSecret?.(located, secret);
    }
  };
  for (const path of paths) await visit(path);
  return report;
}

function kindOf(marker: string): string {
  const environment = MARKER_ENVIRONMENT[marker];
  if (environment !== undefined) return `API key (${environment})`;
  if (marker === CLIENT_SECRET_MARKER.production) return 'OAuth client secret (production)';
  if (marker === CLIENT_SECRET_MARKER.sandbox) return 'OAuth client secret (sandbox)';
  if (marker === ADMIN_MARKER) return 'admin token';
  return `credential (${marker})`;
}

function countLines(text: string, end: number): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
