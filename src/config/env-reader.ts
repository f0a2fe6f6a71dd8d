import { readFileSync } from 'node:fs';
import { Secret } from '../crypto/secret.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads environment variables and collects every problem instead of stopping at the first, so one
 * failed start names all the variables to fix.
 */
export class EnvReader {
  readonly problems: string[] = [];
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  string(name: string, fallback: string): string {
    const value = this.#env[name]?.trim();
    return value === undefined || value === '' ? fallback : value;
  }

  optionalString(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  flag(name: string): boolean {
    return this.oneOf(name, ['0', '1', 'true', 'false'], '0') === '1' || this.#env[name]?.trim() === 'true';
  }

  /** A secret from `NAME` or from the file named by `NAME_FILE`; never both. */
  secret(name: string): Secret | undefined {
    const direct = this.#env[name];
    const file = this.optionalString(`${name}_FILE`);
    if (direct !== undefined && direct !== '' && file !== undefined) {
      this.problems.push(`set either ${name} or ${name}_FILE, not both`);
      return undefined;
    }
    if (file !== undefined) {
      try {
        const content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        if (content === '') this.problems.push(`${name}_FILE points to an empty file (${file})`);
        return content === '' ? undefined : new Secret(content);
      } catch (error) {
        this.problems.push(
          `${name}_FILE cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
        return undefined;
      }
    }
    return direct === undefined || direct === '' ? undefined : new Secret(direct);
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}

const PLACEHOLDER_WORDS = [
  'changeme',
  'change-me',
  'change_me',
  'placeholder',
  'example',
  'secret',
  'password',
  'todo',
  'xxxx',
  'dummy',
  'default',
];

/** True when a secret looks like something copied from documentation rather than generated. */
export function looksLikePlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (PLACEHOLDER_WORDS.some((word) => lower.includes(word))) return true;
  if (/^(.)\1*$/.test(value) || /[<>]/.test(value)) return true;
  return new Set(value).size < 10;
}
