import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';

const POSIX = process.platform !== 'win32';

/** Creates `dir` (and missing parents) readable by this user only; an existing directory is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Makes an existing file readable and writable by this user only, whatever the umask made of it.
 * A file that does not exist is fine; one that belongs to another user is reported by the caller's
 * start-up warning instead of stopping the start.
 */
export function restrictFile(file: string): void {
  if (!POSIX) return;
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw error;
  }
}

/** Creates `file` empty with mode 0600 when it does not exist, and restricts it when it does. */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  restrictFile(file);
}

/**
 * Writes `file` with mode 0600 whether or not it existed (a rewrite of an old 0644 file included):
 * written beside it under a temporary name, then renamed over it, so no reader ever sees half a file.
 */
export function writePrivateFile(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
}

/**
 * A warning for the start-up log when others may read the data directory (group or world bits
 * set), or null. Gatehouse never changes the mode of a directory it did not create.
 */
export function dataDirExposure(dir: string): string | null {
  if (!POSIX) return null;
  let mode: number;
  try {
    mode = statSync(dir).mode;
  } catch {
    return null;
  }
  if ((mode & 0o077) === 0) return null;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `the data directory ${dir} (mode ${octal}) can be read by other users: run chmod 700 on it (it holds the database and, in development, the generated secrets and TLS key)`;
}
